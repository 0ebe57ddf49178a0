// The field catalog of the government data vault: every field, where it comes from, what
// it means and how sensitive it is. Sensitivity follows the five levels of JR/T 0197-2020
// (金融数据安全 数据安全分级指南), read for this platform as:
//   S5 never leaves the platform in any form (the default label);
//   S4 direct identifiers (USCC, merchant name): never readable by a model;
//   S3 financial facts: readable by a model, leave only as derived scores or aggregates;
//   S2 quasi-identifiers: readable by a model, never a segment key;
//   S1 public: readable, and the only keys a cohort or a segment may use.
import { z } from 'zod';

export const SOURCES = {
  registration: '工商',
  tax: '税务',
  judicial: '司法',
  electricity: '电力',
  social_insurance: '社保',
  carrier: '载体经营',
  platform: '平台',
} as const;
export type Source = keyof typeof SOURCES;

export const LEVELS = ['S1', 'S2', 'S3', 'S4', 'S5'] as const;
export type Level = (typeof LEVELS)[number];

export const FIELD_TYPES = ['integer', 'decimal', 'boolean', 'category', 'date', 'text'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** identifier: names a merchant; feature: model input; segment: public cohort key; label: backtests only. */
export type FieldRole = 'identifier' | 'feature' | 'segment' | 'label';

export const categorySchema = z.object({ code: z.string(), label: z.string() }).strict();
export type Category = z.infer<typeof categorySchema>;

export const fieldSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/),
    label: z.string().min(1),
    source: z.enum(Object.keys(SOURCES) as [Source, ...Source[]]),
    type: z.enum(FIELD_TYPES),
    unit: z.string(),
    description: z.string().min(1),
    level: z.enum(LEVELS),
    role: z.enum(['identifier', 'feature', 'segment', 'label']),
    modelReadable: z.boolean(),
    categories: z.array(categorySchema).optional(),
  })
  .strict();
export type Field = z.infer<typeof fieldSchema>;

/** The number of months every monthly series covers. */
export const MONTHS = 24;

export const INDUSTRY_SECTIONS: readonly Category[] = [
  ['A', '农、林、牧、渔业'],
  ['B', '采矿业'],
  ['C', '制造业'],
  ['D', '电力、热力、燃气及水生产和供应业'],
  ['E', '建筑业'],
  ['F', '批发和零售业'],
  ['G', '交通运输、仓储和邮政业'],
  ['H', '住宿和餐饮业'],
  ['I', '信息传输、软件和信息技术服务业'],
  ['J', '金融业'],
  ['K', '房地产业'],
  ['L', '租赁和商务服务业'],
  ['M', '科学研究和技术服务业'],
  ['N', '水利、环境和公共设施管理业'],
  ['O', '居民服务、修理和其他服务业'],
  ['P', '教育'],
  ['Q', '卫生和社会工作'],
  ['R', '文化、体育和娱乐业'],
  ['S', '公共管理、社会保障和社会组织'],
  ['T', '国际组织'],
].map(([code, label]) => ({ code: code as string, label: label as string }));

/** Areas of Suzhou Industrial Park (苏州工业园区). */
export const DISTRICTS: readonly Category[] = [
  ['loufeng', '娄葑街道'],
  ['xietang', '斜塘街道'],
  ['weiting', '唯亭街道'],
  ['shengpu', '胜浦街道'],
  ['jinjihu', '金鸡湖街道'],
  ['dushuhu', '独墅湖科教创新区'],
].map(([code, label]) => ({ code: code as string, label: label as string }));

export const SIZE_BANDS: readonly Category[] = [
  { code: 'micro', label: '微型' },
  { code: 'small', label: '小型' },
  { code: 'medium', label: '中型' },
];

export const REG_YEAR_BANDS: readonly Category[] = [
  { code: 'before-2010', label: '2010年以前' },
  { code: '2010-2014', label: '2010-2014年' },
  { code: '2015-2019', label: '2015-2019年' },
  { code: '2020-later', label: '2020年及以后' },
];

const cats = (...pairs: [string, string][]): Category[] => pairs.map(([code, label]) => ({ code, label }));

type Spec = Omit<Field, 'modelReadable' | 'role'> & { role?: FieldRole };

function field(spec: Spec): Field {
  const role = spec.role ?? 'feature';
  const readable = (role === 'feature' || role === 'segment') && ['S1', 'S2', 'S3'].includes(spec.level) && spec.type !== 'text';
  return { ...spec, role, modelReadable: readable };
}

/** A monthly series: one field per month, `_m01` the oldest and `_m24` the latest month. */
function monthly(base: Omit<Spec, 'name' | 'label' | 'description'>, name: string, label: string, description: string): Field[] {
  const out: Field[] = [];
  for (let m = 1; m <= MONTHS; m++) {
    const mm = String(m).padStart(2, '0');
    out.push(
      field({
        ...base,
        name: `${name}_m${mm}`,
        label: `${label}(第${m}月)`,
        description: `${description}; month ${m} of ${MONTHS} (m${MONTHS} is the latest).`,
      }),
    );
  }
  return out;
}

const reg = (name: string, label: string, type: FieldType, unit: string, level: Level, description: string, extra: Partial<Spec> = {}) =>
  field({ name, label, source: 'registration', type, unit, level, description, ...extra });
const tax = (name: string, label: string, type: FieldType, unit: string, description: string, extra: Partial<Spec> = {}) =>
  field({ name, label, source: 'tax', type, unit, level: 'S3', description, ...extra });
const jud = (name: string, label: string, type: FieldType, unit: string, description: string) =>
  field({ name, label, source: 'judicial', type, unit, level: 'S3', description });
const ele = (name: string, label: string, type: FieldType, unit: string, level: Level, description: string) =>
  field({ name, label, source: 'electricity', type, unit, level, description });
const si = (name: string, label: string, type: FieldType, unit: string, level: Level, description: string) =>
  field({ name, label, source: 'social_insurance', type, unit, level, description });
const car = (name: string, label: string, type: FieldType, unit: string, level: Level, description: string, extra: Partial<Spec> = {}) =>
  field({ name, label, source: 'carrier', type, unit, level, description, ...extra });

const CATALOG: readonly Field[] = Object.freeze([
  // 工商 business registration
  reg('uscc', '统一社会信用代码', 'text', '', 'S4', 'Unified social credit code (GB 32100); identifies the merchant.', { role: 'identifier' }),
  reg('merchant_name', '商户名称', 'text', '', 'S4', 'Registered name of the merchant.', { role: 'identifier' }),
  reg('industry_section', '行业门类', 'category', '', 'S1', 'Industry section of GB/T 4754-2017.', { role: 'segment', categories: [...INDUSTRY_SECTIONS] }),
  reg('district', '所在片区', 'category', '', 'S1', 'Area of Suzhou Industrial Park where the merchant operates.', { role: 'segment', categories: [...DISTRICTS] }),
  reg('size_band', '规模档', 'category', '', 'S1', 'Enterprise size band (micro, small, medium).', { role: 'segment', categories: [...SIZE_BANDS] }),
  reg('reg_year_band', '成立年份段', 'category', '', 'S1', 'Band of the registration year.', { role: 'segment', categories: [...REG_YEAR_BANDS] }),
  reg('entity_type', '主体类型', 'category', '', 'S1', 'Legal form of the merchant.', {
    categories: cats(['individual', '个体工商户'], ['llc', '有限责任公司'], ['sole', '个人独资企业'], ['partnership', '合伙企业']),
  }),
  reg('reg_date', '成立日期', 'date', 'yyyymmdd', 'S2', 'Date of registration, as the integer yyyymmdd.'),
  reg('reg_year', '成立年份', 'integer', '年', 'S2', 'Year of registration.'),
  reg('business_age_months', '经营年限', 'integer', '月', 'S2', 'Months since registration at the end of the observation window.'),
  reg('registered_capital', '注册资本', 'decimal', '万元', 'S3', 'Registered capital.'),
  reg('paid_in_capital', '实缴资本', 'decimal', '万元', 'S3', 'Paid-in capital; missing where not disclosed in the annual report.'),
  reg('employees_declared', '从业人数(年报)', 'integer', '人', 'S2', 'Employees declared in the latest annual report.'),
  reg('shareholder_count', '股东人数', 'integer', '人', 'S2', 'Number of shareholders or partners.'),
  reg('branch_count', '分支机构数', 'integer', '个', 'S2', 'Number of registered branches.'),
  reg('annual_report_filed', '年报按期报送', 'boolean', '', 'S2', '1 when the latest annual report was filed on time.'),
  reg('abnormal_operation_flag', '列入经营异常名录', 'boolean', '', 'S3', '1 when the merchant is on the list of abnormal operations.'),
  reg('change_count_24m', '近24月变更次数', 'integer', '次', 'S2', 'Registration changes in the last 24 months.'),
  reg('legal_rep_changes_24m', '近24月法定代表人变更次数', 'integer', '次', 'S2', 'Changes of legal representative in the last 24 months.'),
  reg('address_changes_24m', '近24月地址变更次数', 'integer', '次', 'S2', 'Changes of registered address in the last 24 months.'),
  reg('admin_penalties_24m', '近24月行政处罚次数', 'integer', '次', 'S3', 'Administrative penalties in the last 24 months.'),
  reg('licence_count', '行政许可数', 'integer', '个', 'S2', 'Administrative licences held.'),
  reg('trademark_count', '注册商标数', 'integer', '个', 'S1', 'Registered trademarks.'),
  // 税务 tax
  tax('tax_credit_rating', '纳税信用等级', 'category', '', 'Tax credit rating of the State Taxation Administration.', {
    categories: cats(['A', 'A级'], ['B', 'B级'], ['M', 'M级'], ['C', 'C级'], ['D', 'D级']),
  }),
  tax('taxpayer_type', '纳税人类型', 'category', '', 'VAT taxpayer type.', { level: 'S2', categories: cats(['small', '小规模纳税人'], ['general', '一般纳税人']) }),
  ...monthly({ source: 'tax', type: 'decimal', unit: '元', level: 'S3' }, 'tax_sales', '开票销售额', 'Sales invoiced and declared for VAT'),
  ...monthly({ source: 'tax', type: 'decimal', unit: '元', level: 'S3' }, 'tax_paid', '实缴税额', 'Tax paid'),
  ...monthly({ source: 'tax', type: 'integer', unit: '张', level: 'S3' }, 'invoice_count', '开票张数', 'Invoices issued'),
  tax('tax_sales_total_12m', '近12月开票销售额', 'decimal', '元', 'Sales invoiced over the last 12 months.'),
  tax('tax_sales_growth_yoy', '开票销售额同比增长', 'decimal', '比率', 'Last 12 months of invoiced sales over the 12 before, minus 1.'),
  tax('zero_filing_months_12m', '近12月零申报月数', 'integer', '月', 'Months with a zero VAT declaration in the last 12.'),
  tax('tax_arrears_flag', '欠税标志', 'boolean', '', '1 when the merchant owes overdue tax.'),
  tax('tax_arrears_amount', '欠税金额', 'decimal', '元', 'Overdue tax owed.'),
  tax('late_filing_count_24m', '近24月逾期申报次数', 'integer', '次', 'Late tax declarations in the last 24 months.'),
  tax('tax_penalty_count_24m', '近24月税务处罚次数', 'integer', '次', 'Tax penalties in the last 24 months.'),
  // 司法 judicial
  jud('lawsuits_defendant_36m', '近36月被诉案件数', 'integer', '件', 'Cases where the merchant is a defendant, last 36 months.'),
  jud('lawsuits_plaintiff_36m', '近36月起诉案件数', 'integer', '件', 'Cases where the merchant is a plaintiff, last 36 months.'),
  jud('contract_disputes_36m', '近36月合同纠纷案件数', 'integer', '件', 'Contract disputes, last 36 months.'),
  jud('labour_disputes_36m', '近36月劳动争议案件数', 'integer', '件', 'Labour disputes, last 36 months.'),
  jud('judgments_lost_36m', '近36月败诉案件数', 'integer', '件', 'Cases lost, last 36 months.'),
  jud('court_notices_12m', '近12月开庭公告数', 'integer', '件', 'Court hearing notices, last 12 months.'),
  jud('enforcement_cases_active', '在执行案件数', 'integer', '件', 'Enforcement cases open against the merchant.'),
  jud('enforcement_amount', '被执行金额', 'decimal', '元', 'Amount under enforcement.'),
  jud('dishonest_debtor_flag', '失信被执行人', 'boolean', '', '1 when on the list of dishonest judgment debtors.'),
  jud('consumption_restriction_flag', '限制高消费', 'boolean', '', '1 when under a consumption restriction order.'),
  // 电力 electricity
  ...monthly({ source: 'electricity', type: 'decimal', unit: 'kWh', level: 'S3' }, 'elec_kwh', '用电量', 'Electricity consumed'),
  ...monthly({ source: 'electricity', type: 'decimal', unit: '元', level: 'S3' }, 'elec_bill', '电费金额', 'Electricity billed'),
  ele('elec_contract_capacity_kva', '合同容量', 'decimal', 'kVA', 'S2', 'Contracted capacity.'),
  ele('elec_late_payments_24m', '近24月电费逾期次数', 'integer', '次', 'S3', 'Late electricity payments in the last 24 months.'),
  ele('elec_arrears_flag', '电费欠费', 'boolean', '', 'S3', '1 when electricity bills are overdue.'),
  ele('elec_disconnections_24m', '近24月催费停电次数', 'integer', '次', 'S3', 'Disconnections for non-payment in the last 24 months.'),
  ele('elec_kwh_trend_12m', '用电量趋势', 'decimal', '比率', 'S3', 'Electricity of the last 12 months over the 12 before, minus 1.'),
  // 社保 social insurance
  ...monthly({ source: 'social_insurance', type: 'integer', unit: '人', level: 'S3' }, 'si_headcount', '参保人数', 'Employees insured'),
  ...monthly({ source: 'social_insurance', type: 'decimal', unit: '元', level: 'S3' }, 'si_contribution', '社保缴费金额', 'Social insurance contributions paid'),
  si('si_registered_flag', '社保登记', 'boolean', '', 'S2', '1 when the merchant is registered for social insurance.'),
  si('si_contribution_base_avg', '平均缴费基数', 'decimal', '元', 'S3', 'Average contribution base per insured employee.'),
  si('si_arrears_months_24m', '近24月欠缴月数', 'integer', '月', 'S3', 'Months with contributions in arrears, last 24.'),
  si('si_headcount_change_12m', '近12月参保人数变化', 'integer', '人', 'S3', 'Insured headcount now minus 12 months ago.'),
  si('housing_fund_headcount', '公积金缴存人数', 'integer', '人', 'S3', 'Employees with housing-fund contributions.'),
  // 载体经营 operating data of the commercial carriers hosting the merchant
  car('carrier_type', '载体类型', 'category', '', 'S1', 'Kind of carrier hosting the merchant.', {
    categories: cats(['mall', '商业综合体'], ['park', '产业园'], ['community', '社区商业'], ['office', '写字楼']),
  }),
  ...monthly({ source: 'carrier', type: 'decimal', unit: '元', level: 'S3' }, 'carrier_sales', '载体经营流水', 'Sales recorded by the carrier (POS and rent-share systems)'),
  ...monthly({ source: 'carrier', type: 'integer', unit: '人次', level: 'S3' }, 'carrier_footfall', '客流量', 'Footfall counted at the unit'),
  ...monthly({ source: 'carrier', type: 'integer', unit: '天', level: 'S3' }, 'rent_days_late', '租金逾期天数', 'Days the rent was paid late'),
  car('lease_area_sqm', '租赁面积', 'decimal', '平方米', 'S2', 'Leased area.'),
  car('monthly_rent', '月租金', 'decimal', '元', 'S3', 'Monthly rent.'),
  car('lease_start_year', '起租年份', 'integer', '年', 'S2', 'Year the current lease started.'),
  car('lease_remaining_months', '剩余租期', 'integer', '月', 'S2', 'Months left on the current lease.'),
  car('lease_renewals', '续租次数', 'integer', '次', 'S2', 'Times the lease was renewed.'),
  car('rent_deposit_months', '押金月数', 'integer', '月', 'S3', 'Deposit held, in months of rent.'),
  car('rent_late_months_12m', '近12月租金逾期月数', 'integer', '月', 'S3', 'Months with late rent in the last 12.'),
  // the platform's own outcome, used only for backtests
  field({
    name: 'default_12m',
    label: '未来12个月违约',
    source: 'platform',
    type: 'boolean',
    unit: '',
    level: 'S5',
    role: 'label',
    description: '1 when the merchant defaulted within 12 months after the observation window. Used only by the platform for backtests; never readable by a model, never released per merchant.',
  }),
].map((f) => Object.freeze(fieldSchema.parse(f))));

export function catalog(): readonly Field[] {
  return CATALOG;
}

const BY_NAME = new Map(CATALOG.map((f, i) => [f.name, i]));

/** Position of a field in the catalog, or -1. */
export function fieldIndex(name: string): number {
  return BY_NAME.get(name) ?? -1;
}

export function fieldByName(name: string): Field | undefined {
  const i = BY_NAME.get(name);
  return i === undefined ? undefined : CATALOG[i];
}

/** Fields stored as numbers (every field but the text identifiers). */
export function numericFields(): readonly Field[] {
  return CATALOG.filter((f) => f.type !== 'text');
}

/** The public keys a cohort may be chosen by or a table segmented by. */
export const SEGMENT_KEYS = {
  industry: 'industry_section',
  district: 'district',
  sizeBand: 'size_band',
  regYearBand: 'reg_year_band',
} as const;
export type SegmentKey = keyof typeof SEGMENT_KEYS;

/** A field as the API and the CLI show it (the catalog entry in the contract's key order). */
export function publicField(f: Field) {
  return {
    name: f.name,
    label: f.label,
    source: f.source,
    type: f.type,
    unit: f.unit,
    level: f.level,
    modelReadable: f.modelReadable,
    role: f.role,
    description: f.description,
    ...(f.categories ? { categories: f.categories } : {}),
  };
}
