/** YAML from users' files, parsed without letting it hurt the process (bombs, depth, size) and with lines. */
export {
  MAX_ALIAS_EXPANSIONS,
  MAX_YAML_BYTES,
  parseYamlSafely,
  type SafeYaml,
  type YamlProblem,
} from './safe-yaml.js';
