/** The report's whole stylesheet, inlined: system fonts only, nothing fetched. */
export const HTML_STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #222; max-width: 1200px; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1rem; margin: 0 0 .5rem; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.summary dt { font-weight: 600; } dl.summary dd { margin: 0; }
.panel { border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0; }
.panel.valid { background: #e8f5e9; border: 1px solid #66bb6a; }
.panel.invalid { background: #ffebee; border: 1px solid #e53935; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure.chart { border: 1px solid #ddd; border-radius: 6px; padding: .75rem; margin: 0; }
figcaption, .note { color: #555; font-size: .85rem; }
.no-data { color: #777; font-style: italic; min-width: 300px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; white-space: nowrap; }
th { background: #f5f5f5; }
`;
