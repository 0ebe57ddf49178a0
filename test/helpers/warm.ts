// For tests of the contexts kept for models as data (workers/isolates.ts, WarmModules).
import { afterEach } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { compileModule } from '../../formats/compile.js';
import { parsePmml } from '../../formats/pmml.js';
import { WarmModules } from '../../workers/isolates.js';
import { warmModules } from '../../workers/scorer.js';

/**
 * A hostile scorecard, numbers and structure only (the generated code is the platform's):
 * a derived field that, only when business_age_months > 100000 (never in the warm-up
 * rows), sums `n` interpreter nodes (cold code, garbage), and otherwise `m` (0: a
 * constant); a characteristic on that field, one on the age and one on sales. Reasons on.
 */
export function hostileScorecard(n: number, m = 0): { fields: string[]; src: string } {
  const not = '<Apply function="not"><Constant>0</Constant></Apply>';
  const otherwise = m > 0 ? `<Apply function="sum">${not.repeat(m)}</Apply>` : '<Constant>0</Constant>';
  const pmml = `<?xml version="1.0"?><PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><DataDictionary><DataField name="business_age_months" optype="continuous" dataType="double"/><DataField name="tax_sales_m24" optype="continuous" dataType="double"/></DataDictionary>
<TransformationDictionary><DerivedField name="big" optype="continuous" dataType="double"><Apply function="if"><Apply function="greaterThan"><FieldRef field="business_age_months"/><Constant>100000</Constant></Apply><Apply function="sum">${not.repeat(n)}</Apply>${otherwise}</Apply></DerivedField></TransformationDictionary>
<Scorecard functionName="regression" useReasonCodes="true" reasonCodeAlgorithm="pointsBelow" initialScore="600"><MiningSchema><MiningField name="business_age_months"/><MiningField name="tax_sales_m24"/></MiningSchema><Characteristics>
<Characteristic name="c0" reasonCode="RC1" baselineScore="20"><Attribute partialScore="10"><SimplePredicate field="big" operator="lessThan" value="0.5"/></Attribute><Attribute partialScore="0"><True/></Attribute></Characteristic>
<Characteristic name="c1" reasonCode="RC2" baselineScore="30"><Attribute partialScore="0"><SimplePredicate field="business_age_months" operator="lessThan" value="12"/></Attribute><Attribute partialScore="30"><True/></Attribute></Characteristic>
<Characteristic name="c2" reasonCode="RC3" baselineScore="20"><Attribute partialScore="5"><SimplePredicate field="tax_sales_m24" operator="isMissing"/></Attribute><Attribute partialScore="0"><SimplePredicate field="tax_sales_m24" operator="lessThan" value="1000"/></Attribute><Attribute partialScore="20"><True/></Attribute></Characteristic>
</Characteristics></Scorecard></PMML>`;
  const ir = parsePmml(pmml, catalog());
  return { fields: ir.inputs, src: compileModule(ir, { method: 'identity' }, { min: 300, max: 900, step: 10 }, { RC1: 'R01_A', RC2: 'R02_B', RC3: 'R03_C' }, 3) };
}

/** A new WarmModules for each call, every one cleared after each test (and the scorer thread's). */
export function keptContexts(): () => WarmModules {
  const kept: WarmModules[] = [];
  afterEach(() => {
    for (const w of kept.splice(0)) w.clear();
    warmModules.clear();
  });
  return () => {
    const w = new WarmModules();
    kept.push(w);
    return w;
  };
}
