export { configMapScenario, exportK8s, k8sManifests, k8sName, type K8sExportOptions } from './export-k8s.js';
