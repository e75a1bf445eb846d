/** This package's version, named in every sizing output next to the service it measured. */
export { SYNCSCALE_VERSION } from '../version.js';
