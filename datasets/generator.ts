// The synthetic government data: deterministic from a seed, generated chunk by chunk so a
// million merchants fit in little memory and any chunk can be rebuilt alone. Every source
// is driven by one latent creditworthiness `z` per merchant (higher is better), through
// noisy and partial views, so a model has signal but never the whole truth. The 12-month
// default label depends on `z` alone.
import { DISTRICTS, INDUSTRY_SECTIONS, MONTHS, numericFields, type Field } from './catalog.js';
import { Rng, mixSeed } from './rng.js';
import { usccFor, usccMixer } from './uscc.js';

/** Subjects per chunk: the unit of generation, storage and projection. */
export const CHUNK = 4096;

/** The end of the observation window: month 24 is June 2026. */
const WINDOW_END_YEAR = 2026;
const WINDOW_END_MONTH = 6;

export interface Population {
  seed: number;
  /** Organisation-code prefix that keeps vault ("MA") and dummy ("MD") codes apart. */
  prefix: 'MA' | 'MD';
}

export interface Chunk {
  uscc: string[];
  names: string[];
  /** One column per entry of numericFields(), in that order; NaN where missing. */
  columns: Float64Array[];
}

// Cumulative weights of the categorical draws.
const cumulative = (w: number[]): number[] => {
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  return w.map((x) => (acc += x / total));
};
const INDUSTRY_WEIGHTS = cumulative(
  INDUSTRY_SECTIONS.map((s) => ({ C: 8, E: 3, F: 34, G: 3, H: 20, I: 6, L: 6, M: 4, O: 10, Q: 2, R: 4 })[s.code] ?? 0),
);
const DISTRICT_WEIGHTS = cumulative([22, 20, 16, 10, 22, 10]);
const SECTION = (code: string): number => INDUSTRY_SECTIONS.findIndex((s) => s.code === code);
const IDX_C = SECTION('C');
const IDX_F = SECTION('F');
const IDX_H = SECTION('H');
const IDX_I = SECTION('I');
const IDX_M = SECTION('M');

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Per-merchant quantities every source draws from. */
interface Base {
  n: number;
  z: Float64Array; // latent creditworthiness
  s: Float64Array; // latent size
  industry: Int32Array;
  district: Int32Array;
  sizeBand: Int32Array;
  entity: Int32Array; // 0 individual, 1 llc, 2 sole, 3 partnership
  regYear: Int32Array;
  regMonth: Int32Array;
  regDay: Int32Array;
  ageMonths: Int32Array;
  employees: Float64Array;
  revenue: Float64Array;
  /** true monthly sales, n x 24 row-major; NaN before registration */
  sales: Float64Array;
  /** 0..1 recent distress per month, n x 24 */
  distress: Float64Array;
  hosted: Uint8Array;
  generalTaxpayer: Uint8Array;
  label: Uint8Array;
}

/** Label intercept and slope: a default rate near 6% (checked by the tests). */
const LABEL_INTERCEPT = -3.55;
const LABEL_SLOPE = 1.45;

function makeBase(pop: Population, chunkIndex: number, n: number): Base {
  const rng = new Rng(mixSeed(pop.seed, pop.prefix === 'MA' ? 1 : 2, chunkIndex, 0));
  const b: Base = {
    n,
    z: new Float64Array(n),
    s: new Float64Array(n),
    industry: new Int32Array(n),
    district: new Int32Array(n),
    sizeBand: new Int32Array(n),
    entity: new Int32Array(n),
    regYear: new Int32Array(n),
    regMonth: new Int32Array(n),
    regDay: new Int32Array(n),
    ageMonths: new Int32Array(n),
    employees: new Float64Array(n),
    revenue: new Float64Array(n),
    sales: new Float64Array(n * MONTHS),
    distress: new Float64Array(n * MONTHS),
    hosted: new Uint8Array(n),
    generalTaxpayer: new Uint8Array(n),
    label: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    const s = 0.9 * rng.normal() + 0.25 * z;
    b.z[i] = z;
    b.s[i] = s;
    b.industry[i] = rng.pick(INDUSTRY_WEIGHTS);
    b.district[i] = rng.pick(DISTRICT_WEIGHTS);
    const band = s < 0.6 ? 0 : s < 1.6 ? 1 : 2;
    b.sizeBand[i] = band;
    b.entity[i] = band === 0 ? rng.pick([0.55, 0.9, 0.97, 1]) : rng.pick([0.03, 0.88, 0.96, 1]);
    const ageYears = clamp(Math.exp(1.3 + 0.25 * z + 0.6 * rng.normal()), 0.1, 26);
    const ageMonths = Math.floor(ageYears * 12);
    b.ageMonths[i] = ageMonths;
    const monthsFromEpoch = WINDOW_END_YEAR * 12 + (WINDOW_END_MONTH - 1) - ageMonths;
    b.regYear[i] = Math.floor(monthsFromEpoch / 12);
    b.regMonth[i] = (monthsFromEpoch % 12) + 1;
    b.regDay[i] = 1 + Math.floor(rng.uniform() * 28);
    b.employees[i] = Math.max(1, Math.round(Math.exp(0.8 + 0.9 * s + 0.1 * z + 0.3 * rng.normal())));
    const revenue = Math.exp(10.6 + 0.9 * s + 0.2 * z + 0.35 * rng.normal());
    b.revenue[i] = revenue;
    const trend = 0.006 * z + 0.008 * rng.normal();
    const trouble = Math.max(0, -z - 0.8) * (0.5 + rng.uniform());
    for (let m = 0; m < MONTHS; m++) {
      const k = i * MONTHS + m;
      const recent = Math.max(0, m - (MONTHS - 9)) / 8; // the last 8 months
      b.distress[k] = clamp(trouble * recent, 0, 1);
      if (MONTHS - 1 - m > ageMonths) {
        b.sales[k] = NaN;
        continue;
      }
      const season = 1 + 0.08 * Math.sin((2 * Math.PI * (m + WINDOW_END_MONTH)) / 12);
      b.sales[k] = revenue * Math.exp(trend * (m - (MONTHS - 1)) - 0.35 * (b.distress[k] as number)) * season * Math.exp(0.12 * rng.normal());
    }
    b.hosted[i] = rng.bernoulli(0.88) ? 1 : 0;
    b.generalTaxpayer[i] = band > 0 && (rng.bernoulli(0.6) || revenue > 150_000) ? 1 : 0;
    b.label[i] = rng.bernoulli(sigmoid(LABEL_INTERCEPT - LABEL_SLOPE * z)) ? 1 : 0;
  }
  return b;
}

type Columns = Map<string, Float64Array>;

/** A monthly family: fills 24 columns from the base. */
function family(cols: Columns, name: string, n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let m = 1; m <= MONTHS; m++) {
    const c = new Float64Array(n);
    cols.set(`${name}_m${String(m).padStart(2, '0')}`, c);
    out.push(c);
  }
  return out;
}

function sumLast(months: Float64Array[], i: number, from: number, to: number): number {
  let sum = 0;
  let seen = 0;
  for (let m = from; m < to; m++) {
    const v = (months[m] as Float64Array)[i] as number;
    if (!Number.isNaN(v)) {
      sum += v;
      seen++;
    }
  }
  return seen === 0 ? NaN : sum;
}

function fill(pop: Population, chunkIndex: number, b: Base): Columns {
  const n = b.n;
  const cols: Columns = new Map();
  const col = (name: string): Float64Array => {
    const c = new Float64Array(n);
    cols.set(name, c);
    return c;
  };
  const many = <const N extends readonly string[]>(names: N) => names.map(col) as { -readonly [K in keyof N]: Float64Array };
  const stream = (k: number): Rng => new Rng(mixSeed(pop.seed, pop.prefix === 'MA' ? 1 : 2, chunkIndex, k));

  // registration
  {
    const r = stream(1);
    const [ind, dis, size, band, ent, date, year, age, cap, paid, emp, sh, br, filed, abn, chg, rep, addr, pen, lic, tm] = many([
      'industry_section', 'district', 'size_band', 'reg_year_band', 'entity_type', 'reg_date', 'reg_year', 'business_age_months',
      'registered_capital', 'paid_in_capital', 'employees_declared', 'shareholder_count', 'branch_count', 'annual_report_filed',
      'abnormal_operation_flag', 'change_count_24m', 'legal_rep_changes_24m', 'address_changes_24m', 'admin_penalties_24m',
      'licence_count', 'trademark_count',
    ] as const);
    for (let i = 0; i < n; i++) {
      const z = b.z[i] as number;
      const s = b.s[i] as number;
      const y = b.regYear[i] as number;
      ind[i] = b.industry[i] as number;
      dis[i] = b.district[i] as number;
      size[i] = b.sizeBand[i] as number;
      band[i] = y < 2010 ? 0 : y < 2015 ? 1 : y < 2020 ? 2 : 3;
      ent[i] = b.entity[i] as number;
      date[i] = y * 10000 + (b.regMonth[i] as number) * 100 + (b.regDay[i] as number);
      year[i] = y;
      age[i] = b.ageMonths[i] as number;
      const capital = Math.max(1, Math.round(Math.exp(3 + 0.8 * s + 0.2 * z + 0.8 * r.normal())));
      cap[i] = capital;
      paid[i] = r.bernoulli(0.6) ? NaN : Math.round(capital * clamp(0.3 + 0.3 * z + 0.3 * r.normal(), 0, 1));
      const isFiled = r.bernoulli(sigmoid(2.2 + 0.8 * z));
      filed[i] = isFiled ? 1 : 0;
      emp[i] = isFiled ? (b.employees[i] as number) : NaN;
      sh[i] = b.entity[i] === 0 ? 1 : 1 + r.poisson(1);
      br[i] = r.poisson(Math.exp(-2.5 + 0.8 * s));
      abn[i] = r.bernoulli(sigmoid(-3.8 - 1.0 * z)) || (!isFiled && r.bernoulli(0.5)) ? 1 : 0;
      const repChanges = r.poisson(Math.exp(-2.8 - 0.5 * z));
      const addrChanges = r.poisson(Math.exp(-2.2 - 0.3 * z));
      rep[i] = repChanges;
      addr[i] = addrChanges;
      chg[i] = repChanges + addrChanges + r.poisson(0.4);
      pen[i] = r.poisson(Math.exp(-3 - 0.7 * z));
      lic[i] = r.poisson(1.2 + 0.6 * Math.max(0, s));
      tm[i] = r.poisson(Math.exp(-1.5 + 0.8 * s));
    }
  }

  // tax
  {
    const r = stream(2);
    const sales = family(cols, 'tax_sales', n);
    const paid = family(cols, 'tax_paid', n);
    const inv = family(cols, 'invoice_count', n);
    const [rating, type, total, growth, zeros, arrears, arrearsAmt, late, pen] = many([
      'tax_credit_rating', 'taxpayer_type', 'tax_sales_total_12m', 'tax_sales_growth_yoy', 'zero_filing_months_12m',
      'tax_arrears_flag', 'tax_arrears_amount', 'late_filing_count_24m', 'tax_penalty_count_24m',
    ] as const);
    for (let i = 0; i < n; i++) {
      const z = b.z[i] as number;
      const present = r.bernoulli(0.97);
      const general = b.generalTaxpayer[i] === 1;
      const reported = clamp(0.55 + 0.1 * z + 0.15 * r.normal(), 0.2, 1);
      const ticket = Math.exp((b.industry[i] === IDX_C ? 8 : 6) + 0.3 * r.normal());
      const pZero = sigmoid(-3.5 - 0.8 * z);
      let zeroCount = 0;
      for (let m = 0; m < MONTHS; m++) {
        const t = b.sales[i * MONTHS + m] as number;
        if (!present || Number.isNaN(t) || r.bernoulli(0.01)) {
          (sales[m] as Float64Array)[i] = NaN;
          (paid[m] as Float64Array)[i] = NaN;
          (inv[m] as Float64Array)[i] = NaN;
          continue;
        }
        const zero = r.bernoulli(pZero + 0.3 * (b.distress[i * MONTHS + m] as number));
        if (zero && m >= MONTHS - 12) zeroCount++;
        const declared = zero ? 0 : round2(t * reported * Math.exp(0.05 * r.normal()));
        (sales[m] as Float64Array)[i] = declared;
        (paid[m] as Float64Array)[i] = round2(declared * (general ? 0.03 : 0.01) * Math.exp(0.1 * r.normal()));
        (inv[m] as Float64Array)[i] = Math.round(declared / ticket);
      }
      const last = sumLast(sales, i, MONTHS - 12, MONTHS);
      const prior = sumLast(sales, i, 0, MONTHS - 12);
      total[i] = present ? round2(last) : NaN;
      growth[i] = present && last > 0 && prior > 0 ? Math.round((last / prior - 1) * 10000) / 10000 : NaN;
      zeros[i] = present ? zeroCount : NaN;
      const t = z + 0.7 * r.normal();
      rating[i] = !present ? NaN : (b.ageMonths[i] as number) < 12 ? 2 : t > 1 ? 0 : t > -0.3 ? 1 : t > -1.6 ? 3 : 4;
      type[i] = general ? 1 : 0;
      const owes = r.bernoulli(sigmoid(-3.8 - 1.1 * z));
      arrears[i] = present ? (owes ? 1 : 0) : NaN;
      arrearsAmt[i] = present ? (owes ? round2((b.revenue[i] as number) * (0.05 + 0.45 * r.uniform()) * 0.03) : 0) : NaN;
      late[i] = present ? r.poisson(Math.exp(-1.6 - 0.7 * z)) : NaN;
      pen[i] = present ? r.poisson(Math.exp(-3 - 0.7 * z)) : NaN;
    }
  }

  // judicial
  {
    const r = stream(3);
    const [def, pl, contract, labour, lost, notices, active, amount, dishonest, restricted] = many([
      'lawsuits_defendant_36m', 'lawsuits_plaintiff_36m', 'contract_disputes_36m', 'labour_disputes_36m', 'judgments_lost_36m',
      'court_notices_12m', 'enforcement_cases_active', 'enforcement_amount', 'dishonest_debtor_flag', 'consumption_restriction_flag',
    ] as const);
    for (let i = 0; i < n; i++) {
      const z = b.z[i] as number;
      const s = b.s[i] as number;
      const d = r.poisson(Math.exp(-2.6 - 0.8 * z + 0.3 * s));
      const p = r.poisson(Math.exp(-2.5 + 0.3 * s));
      def[i] = d;
      pl[i] = p;
      contract[i] = Math.min(d + p, r.poisson(0.6 * (d + p)));
      labour[i] = r.poisson(Math.exp(-3.5 - 0.6 * z + 0.4 * s));
      let lostCount = 0;
      for (let k = 0; k < d; k++) if (r.bernoulli(sigmoid(-0.5 * z))) lostCount++;
      lost[i] = lostCount;
      notices[i] = r.poisson(0.4 * (d + p));
      const a = r.poisson(Math.exp(-3.6 - 1.1 * z));
      active[i] = a;
      amount[i] = a > 0 ? round2((b.revenue[i] as number) * (0.2 + 2.8 * r.uniform())) : 0;
      const isDishonest = a > 0 && r.bernoulli(0.35);
      dishonest[i] = isDishonest ? 1 : 0;
      restricted[i] = isDishonest || (a > 0 && r.bernoulli(0.15)) ? 1 : 0;
    }
  }

  // electricity
  {
    const r = stream(4);
    const kwh = family(cols, 'elec_kwh', n);
    const bill = family(cols, 'elec_bill', n);
    const [capacity, late, arrears, disc, trend] = many([
      'elec_contract_capacity_kva', 'elec_late_payments_24m', 'elec_arrears_flag', 'elec_disconnections_24m', 'elec_kwh_trend_12m',
    ] as const);
    for (let i = 0; i < n; i++) {
      const z = b.z[i] as number;
      const present = r.bernoulli(0.95);
      const ind = b.industry[i] as number;
      const intensity = (ind === IDX_C ? 0.2 : ind === IDX_H ? 0.08 : ind === IDX_F ? 0.03 : 0.04) * Math.exp(0.3 * r.normal());
      const price = 0.75 + 0.2 * r.uniform();
      let peak = 0;
      for (let m = 0; m < MONTHS; m++) {
        const t = b.sales[i * MONTHS + m] as number;
        if (!present || Number.isNaN(t)) {
          (kwh[m] as Float64Array)[i] = NaN;
          (bill[m] as Float64Array)[i] = NaN;
          continue;
        }
        const k = Math.round(t * intensity * Math.exp(0.08 * r.normal()));
        peak = Math.max(peak, k);
        (kwh[m] as Float64Array)[i] = k;
        (bill[m] as Float64Array)[i] = round2(k * price);
      }
      const last = sumLast(kwh, i, MONTHS - 12, MONTHS);
      const prior = sumLast(kwh, i, 0, MONTHS - 12);
      capacity[i] = present ? Math.max(10, Math.ceil(peak / 200 / 10) * 10) : NaN;
      late[i] = present ? r.poisson(Math.exp(-1.8 - 0.9 * z)) : NaN;
      arrears[i] = present ? (r.bernoulli(sigmoid(-4 - 1.2 * z)) ? 1 : 0) : NaN;
      disc[i] = present ? r.poisson(Math.exp(-4.2 - 1.1 * z)) : NaN;
      trend[i] = present && last > 0 && prior > 0 ? Math.round((last / prior - 1) * 10000) / 10000 : NaN;
    }
  }

  // social insurance
  {
    const r = stream(5);
    const head = family(cols, 'si_headcount', n);
    const contrib = family(cols, 'si_contribution', n);
    const [registered, base, arrears, change, fund] = many([
      'si_registered_flag', 'si_contribution_base_avg', 'si_arrears_months_24m', 'si_headcount_change_12m', 'housing_fund_headcount',
    ] as const);
    for (let i = 0; i < n; i++) {
      const z = b.z[i] as number;
      const isReg = b.entity[i] !== 0 || r.bernoulli(0.3);
      registered[i] = isReg ? 1 : 0;
      const coverage = clamp(0.5 + 0.15 * z + 0.2 * r.normal(), 0.1, 1);
      const baseWage = clamp(Math.exp(8.7 + 0.1 * z + 0.2 * r.normal()), 4494, 24042);
      const drift = 0.003 * z + 0.004 * r.normal();
      for (let m = 0; m < MONTHS; m++) {
        const t = b.sales[i * MONTHS + m] as number;
        if (!isReg || Number.isNaN(t)) {
          (head[m] as Float64Array)[i] = NaN;
          (contrib[m] as Float64Array)[i] = NaN;
          continue;
        }
        const h = Math.max(0, Math.round((b.employees[i] as number) * coverage * Math.exp(drift * (m - (MONTHS - 1)) - 0.3 * (b.distress[i * MONTHS + m] as number)) * Math.exp(0.05 * r.normal())));
        (head[m] as Float64Array)[i] = h;
        (contrib[m] as Float64Array)[i] = round2(h * baseWage * 0.3);
      }
      const now = (head[MONTHS - 1] as Float64Array)[i] as number;
      const before = (head[MONTHS - 13] as Float64Array)[i] as number;
      base[i] = isReg ? Math.round(baseWage) : NaN;
      arrears[i] = isReg ? Math.min(24, r.poisson(Math.exp(-2 - 1.0 * z))) : NaN;
      change[i] = isReg && !Number.isNaN(now) && !Number.isNaN(before) ? now - before : NaN;
      fund[i] = isReg && !Number.isNaN(now) ? Math.round(now * clamp(0.2 + 0.2 * z + 0.2 * r.normal(), 0, 1)) : NaN;
    }
  }

  // carrier operating data
  {
    const r = stream(6);
    const csales = family(cols, 'carrier_sales', n);
    const foot = family(cols, 'carrier_footfall', n);
    const late = family(cols, 'rent_days_late', n);
    const [ctype, area, rent, start, remaining, renewals, deposit, lateMonths] = many([
      'carrier_type', 'lease_area_sqm', 'monthly_rent', 'lease_start_year', 'lease_remaining_months', 'lease_renewals',
      'rent_deposit_months', 'rent_late_months_12m',
    ] as const);
    for (let i = 0; i < n; i++) {
      const z = b.z[i] as number;
      const ind = b.industry[i] as number;
      if (b.hosted[i] === 0) {
        for (let m = 0; m < MONTHS; m++) {
          (csales[m] as Float64Array)[i] = NaN;
          (foot[m] as Float64Array)[i] = NaN;
          (late[m] as Float64Array)[i] = NaN;
        }
        for (const c of [ctype, area, rent, start, remaining, renewals, deposit, lateMonths]) c[i] = NaN;
        continue;
      }
      ctype[i] = ind === IDX_C ? 1 : ind === IDX_I || ind === IDX_M ? 3 : r.bernoulli(0.55) ? 0 : 2;
      const capture = 0.5 + 0.45 * r.uniform();
      const ticket = ind === IDX_H ? 60 + 40 * r.uniform() : ind === IDX_F ? 80 + 120 * r.uniform() : 400 + 600 * r.uniform();
      const monthlyRent = Math.round((b.revenue[i] as number) * (0.08 + 0.12 * r.uniform()));
      const pLate = -2.6 - 1.3 * z;
      let lateCount = 0;
      for (let m = 0; m < MONTHS; m++) {
        const t = b.sales[i * MONTHS + m] as number;
        if (Number.isNaN(t)) {
          (csales[m] as Float64Array)[i] = NaN;
          (foot[m] as Float64Array)[i] = NaN;
          (late[m] as Float64Array)[i] = NaN;
          continue;
        }
        const cs = round2(t * capture * Math.exp(0.07 * r.normal()));
        (csales[m] as Float64Array)[i] = cs;
        (foot[m] as Float64Array)[i] = Math.round((cs / ticket) * (1.2 + 0.3 * r.uniform()));
        const isLate = r.bernoulli(sigmoid(pLate + 2 * (b.distress[i * MONTHS + m] as number)));
        const days = isLate ? Math.min(90, 1 + r.poisson(Math.max(1, 6 - 3 * z))) : 0;
        (late[m] as Float64Array)[i] = days;
        if (isLate && m >= MONTHS - 12) lateCount++;
      }
      const y = b.regYear[i] as number;
      const startYear = Math.min(WINDOW_END_YEAR, Math.max(y, WINDOW_END_YEAR - Math.floor(r.uniform() * 8)));
      area[i] = Math.round(monthlyRent / (100 + 200 * r.uniform()));
      rent[i] = monthlyRent;
      start[i] = startYear;
      remaining[i] = 1 + Math.floor(r.uniform() * 60);
      renewals[i] = Math.floor((WINDOW_END_YEAR - startYear) / 3);
      deposit[i] = z < -0.5 ? 3 : r.bernoulli(0.3) ? 3 : 2;
      lateMonths[i] = lateCount;
    }
  }

  const lbl = col('default_12m');
  for (let i = 0; i < n; i++) lbl[i] = b.label[i] as number;
  return cols;
}

const NAME_WORDS = '鑫盛华源恒瑞嘉达丰泰宏德和祥福兴隆昌安明锦润佳诚';
const NAME_SUFFIX: Record<string, string[]> = {
  C: ['精密制造有限公司', '机械加工厂'],
  E: ['建筑工程有限公司'],
  F: ['商行', '贸易有限公司', '便利店'],
  G: ['物流有限公司'],
  H: ['餐饮店', '小吃店', '餐厅'],
  I: ['信息科技有限公司'],
  L: ['企业管理咨询有限公司'],
  M: ['技术服务有限公司'],
  O: ['生活服务部', '维修部'],
  Q: ['诊所'],
  R: ['文化传媒工作室'],
};

function merchantName(r: Rng, industry: number, district: number): string {
  const w = (): string => NAME_WORDS[Math.floor(r.uniform() * NAME_WORDS.length)] as string;
  const code = INDUSTRY_SECTIONS[industry]?.code ?? 'F';
  const suffixes = NAME_SUFFIX[code] ?? ['商行'];
  const suffix = suffixes[Math.floor(r.uniform() * suffixes.length)] as string;
  const area = (DISTRICTS[district]?.label ?? '').replace(/街道|科教创新区/, '');
  return `苏州工业园区${area}${w()}${w()}${suffix}`;
}

const NUMERIC: readonly Field[] = numericFields();

/** Generates subjects [chunkIndex * CHUNK, chunkIndex * CHUNK + n) of a population. */
export function generateChunk(pop: Population, chunkIndex: number, n: number): Chunk {
  const b = makeBase(pop, chunkIndex, n);
  const cols = fill(pop, chunkIndex, b);
  const { mult, add } = usccMixer(pop.seed);
  const r = new Rng(mixSeed(pop.seed, pop.prefix === 'MA' ? 1 : 2, chunkIndex, 99));
  const uscc: string[] = new Array(n);
  const names: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    uscc[i] = usccFor(chunkIndex * CHUNK + i, pop.prefix, b.entity[i] === 0 ? '2' : '1', mult, add);
    names[i] = merchantName(r, b.industry[i] as number, b.district[i] as number);
  }
  const columns = NUMERIC.map((f) => {
    const c = cols.get(f.name);
    if (!c) throw new Error(`generator has no recipe for ${f.name}`);
    return c;
  });
  if (cols.size !== columns.length) throw new Error('generator makes a column the catalog lacks');
  return { uscc, names, columns };
}
