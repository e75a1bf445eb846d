/** `syncscale verify`: a sizing recommendation is a prediction; run it and compare. */
export { verifyLoad, verifyScenarioYaml, type VerifyLoad, type VerifyScenarioInput } from './verify-plan.js';
export {
  formatVerdict,
  verdictMarkdown,
  verifyVerdict,
  type VerifyCheck,
  type VerifyVerdict,
} from './verify-verdict.js';
