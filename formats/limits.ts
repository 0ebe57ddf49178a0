// Size limits of a model file, checked while parsing: a file over any of them is refused
// with FORMAT_LIMIT (or FORMAT_TOO_LARGE for bytes and nesting) naming the limit.
export const LIMITS = Object.freeze({
  /** Bytes of the model file, checked before any parsing. */
  bytes: 4 * 1024 * 1024,
  /** XML element nesting / JSON nesting. */
  nesting: 64,
  /** Trees in an ensemble (XGBoost trees, or TreeModels in a PMML file). */
  trees: 2000,
  /** Depth of one tree (root = depth 0). */
  depth: 16,
  /** Tree nodes, scorecard attributes and regression terms in the whole model. */
  nodes: 200_000,
  /** Characteristics of a scorecard; attributes of one characteristic. */
  characteristics: 1000,
  attributes: 1000,
  /** Reason codes returned per row. */
  reasons: 4,
});
