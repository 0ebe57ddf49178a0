// 商户信易贷 merchant scorecard: five evaluations of eleven dimensions. Each dimension adds
// points relative to a typical merchant (its value at the median of the dummy data); the
// weights are a logistic regression fitted on dummy data, scaled so that 50 points double
// the odds of repaying. A missing value scores as typical.

const POINTS_PER_LOGIT = 72.13; // 50 / ln 2
const BASE = 700;

// [field, weight on the log-odds of default, typical value, transform, reason code]
const DIMENSIONS = [
  // basic information
  ['business_age_months', -0.3142, 3.807, 'log1p', 'R01_SHORT_HISTORY'],
  ['annual_report_filed', -0.1927, 1, 'id', 'R02_NO_ANNUAL_REPORT'],
  // operating stability
  ['si_arrears_months_24m', 0.1811, 0, 'cap6', 'R03_SOCIAL_INSURANCE_ARREARS'],
  ['rent_late_months_12m', 0.2133, 1, 'cap6', 'R04_RENT_PAID_LATE'],
  // credit history
  ['tax_credit_rating', 0.3427, 1, 'id', 'R05_LOW_TAX_CREDIT_RATING'],
  ['enforcement_cases_active', 0.2446, 0, 'cap6', 'R06_ENFORCEMENT_CASES'],
  ['lawsuits_defendant_36m', 0.1077, 0, 'cap6', 'R07_LITIGATION'],
  // business condition
  ['tax_sales_growth_yoy', -0.27, 0.0302, 'clip1', 'R08_SALES_DECLINE'],
  ['zero_filing_months_12m', 0.1369, 0, 'cap6', 'R09_ZERO_TAX_FILINGS'],
  // repayment capacity
  ['elec_late_payments_24m', 0.1403, 0, 'cap6', 'R10_UTILITY_PAID_LATE'],
  ['late_filing_count_24m', 0.1098, 0, 'cap6', 'R11_LATE_TAX_FILING'],
];

function transform(kind, v) {
  if (kind === 'log1p') return Math.log(1 + v);
  if (kind === 'cap6') return Math.min(v, 6);
  if (kind === 'clip1') return Math.max(-1, Math.min(1, v));
  return v;
}

export function score(row) {
  let points = BASE;
  const penalties = [];
  for (let i = 0; i < DIMENSIONS.length; i++) {
    const [field, weight, typical, kind, reason] = DIMENSIONS[i];
    const v = row[field];
    if (v === null) continue;
    const p = -POINTS_PER_LOGIT * weight * (transform(kind, v) - transform(kind, typical));
    points += p;
    if (p <= -10) penalties.push([p, reason]);
  }
  const s = Math.max(300, Math.min(900, Math.round(points / 10) * 10));
  penalties.sort((a, b) => a[0] - b[0]);
  const reasons = [];
  for (let i = 0; i < penalties.length && i < 3; i++) reasons.push(penalties[i][1]);
  return { score: s, reasons };
}
