import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Renders a vega-lite spec to an SVG string on the server (no DOM, no canvas, no network), ready to inline
 * in HTML: the namespace declarations are dropped, as inline SVG in HTML needs none.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace(/ xmlns(:xlink)?="[^"]*"/g, '');
  } finally {
    view.finalize();
  }
}
