// PMML 4.4 documents (a subset: see README.md) to the IR. The document is attacker-
// controlled: parseXml refuses DTDs and bounds size and nesting; every element outside the
// subset is refused by name (FORMAT_UNSUPPORTED), every field is checked against the
// caller's catalog, every number must be finite.
import type { Field } from '../datasets/catalog.js';
import { formatError } from './errors.js';
import { readText, safeName } from './input.js';
import type { FormatIR, PmmlModelIR } from './ir.js';
import { elements, malformed, type Scope, unsupported } from './pmml-context.js';
import { PmmlContext } from './pmml-context.js';
import { parseDerived } from './pmml-expr.js';
import { MODEL_ELEMENTS, parseModel } from './pmml-models.js';
import { parseXml } from './xml.js';

/** Top-level elements that carry nothing for scoring. */
const SKIPPED = new Set(['Header', 'MiningBuildTask', 'Extension']);
/** PMML 4.4 model elements outside the subset, refused by name. */
const OTHER_MODELS = new Set([
  'AnomalyDetectionModel', 'AssociationModel', 'BayesianNetworkModel', 'BaselineModel', 'ClusteringModel', 'GaussianProcessModel',
  'GeneralRegressionModel', 'NaiveBayesModel', 'NearestNeighborModel', 'NeuralNetwork', 'RuleSetModel', 'SequenceModel',
  'SupportVectorMachineModel', 'TextModel', 'TimeSeriesModel',
]);

const DATA_TYPES = new Set(['double', 'float', 'integer', 'boolean', 'string']);

export function parsePmml(source: string | Uint8Array, catalog: readonly Field[]): FormatIR {
  const root = parseXml(readText(source));
  if (root.name !== 'PMML') malformed('PMML');
  if (!/^4\.[0-4](\.\d+)?$/.test(root.attrs.version ?? '')) unsupported(`PMML@version:${safeName(root.attrs.version)}`);
  const ctx = new PmmlContext(catalog);
  const scope: Scope = new Map();
  let prelude: FormatIR['prelude'] = [];
  let model: PmmlModelIR | null = null;
  for (const n of elements(root)) {
    if (SKIPPED.has(n.name)) continue;
    if (n.name === 'DataDictionary') {
      for (const f of elements(n)) {
        if (f.name === 'Taxonomy') unsupported('Taxonomy');
        if (f.name !== 'DataField') unsupported(f.name);
        const name = f.attrs.name;
        if (name === undefined || scope.has(name)) malformed('DataField@name');
        const type = f.attrs.dataType ?? '';
        if (!DATA_TYPES.has(type)) unsupported(`DataField@dataType:${safeName(type)}`);
        ctx.dataFields.set(name, type);
        scope.set(name, { kind: 'data', name, rep: null });
      }
    } else if (n.name === 'TransformationDictionary') {
      const fns = elements(n).find((k) => k.name === 'DefineFunction');
      if (fns) unsupported('DefineFunction');
      prelude = parseDerived(ctx, scope, n);
    } else if (MODEL_ELEMENTS.has(n.name)) {
      if (model) unsupported('multiple models');
      model = parseModel(ctx, scope, n);
    } else if (OTHER_MODELS.has(n.name)) unsupported(n.name);
    else unsupported(n.name);
  }
  if (!model) throw formatError('FORMAT_MALFORMED', { detail: 'no model' });
  if (ctx.inputs.length === 0) malformed('MiningSchema');
  return { format: 'pmml', inputs: ctx.inputs, output: outputKind(model), slots: ctx.slots, prelude, model, reasonKeys: ctx.reasonKeys };
}

/** What a model's value is: points for a scorecard, a probability for a classification or a logit link, else a plain value. */
function outputKind(m: PmmlModelIR): FormatIR['output'] {
  switch (m.kind) {
    case 'scorecard':
      return 'points';
    case 'regression':
      return m.classification || m.norm === 'logit' || m.norm === 'softmax' || m.norm === 'cloglog' || m.norm === 'loglog' || m.norm === 'cauchit' ? 'probability' : 'value';
    case 'tree':
      return 'value';
    case 'mining': {
      const last = m.segs[m.segs.length - 1];
      return m.method === 'modelChain' && last ? outputKind(last.model) : 'value';
    }
  }
}
