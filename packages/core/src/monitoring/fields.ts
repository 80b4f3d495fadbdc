// The base-field catalog: every field Helio stores, models or expects, with
// what the Locus v3 `dataavailable` call says of it. Stored fields carry a
// numeric code (the `field` column of readings and rollups); codes are
// permanent: never renumber or reuse one.

export type FieldSource = 'Measured' | 'Modeled' | 'Expected';
export type Aggregation = 'avg' | 'min' | 'max' | 'sum';

/** Every granularity of the data call, shortest first. */
export const granularities = ['latest', '1min', '5min', '15min', 'hourly', 'daily', 'monthly', 'yearly'] as const;
export type Granularity = (typeof granularities)[number];

const ALL: readonly Granularity[] = granularities;
const FROM_1MIN: readonly Granularity[] = ['1min', '5min', '15min', 'hourly', 'daily', 'monthly', 'yearly'];
const FROM_5MIN: readonly Granularity[] = ['5min', '15min', 'hourly', 'daily', 'monthly', 'yearly'];
const FROM_DAILY: readonly Granularity[] = ['daily', 'monthly', 'yearly'];

export interface FieldParameter {
  param: string;
  values: readonly string[];
}

/** The simple (PVWatts-style) model's parameters, as `dataavailable` lists them for modeled fields. */
export const modelParameters: readonly FieldParameter[] = [
  { param: 'modelType', values: ['simple'] },
  { param: 'irradianceSource', values: ['weatherStation'] },
  { param: 'inverterClipping', values: ['true', 'false'] },
];

export interface BaseField {
  baseField: string;
  longName: string;
  source: FieldSource;
  unit: string;
  aggregations: readonly Aggregation[];
  granularities: readonly Granularity[];
  /** Stored fields: the code in readings and rollups. Absent: computed from other fields. */
  code?: number;
  /** Modeled fields take the model's parameters in the data call. */
  fieldParameters?: readonly FieldParameter[];
  /** Energy-like fields summed over a site's generation components (see data/site rules). */
  kind: 'power' | 'energy' | 'electrical' | 'irradiance' | 'insolation' | 'temperature' | 'ratio';
}

const measured = (
  baseField: string,
  code: number,
  longName: string,
  unit: string,
  kind: BaseField['kind'],
  aggregations: readonly Aggregation[] = ['avg', 'max', 'min'],
): BaseField => ({ baseField, code, longName, source: 'Measured', unit, aggregations, granularities: ALL, kind });

/** Fields a device sends: the keys the ingest API accepts. */
export const storedFields: readonly BaseField[] = [
  measured('W', 1, 'AC Power', 'W', 'power'),
  measured('Wh', 2, 'AC Energy', 'Wh', 'energy', ['sum']),
  measured('A', 3, 'AC Current', 'A', 'electrical'),
  measured('Hz', 4, 'AC Frequency', 'Hz', 'electrical'),
  measured('PF', 5, 'AC Power Factor', '', 'electrical'),
  measured('PPV', 6, 'AC Voltage L-L', 'V', 'electrical'),
  measured('PhV', 7, 'AC Voltage L-N', 'V', 'electrical'),
  measured('VA', 8, 'AC Apparent Power', 'VA', 'electrical'),
  measured('VAR', 9, 'AC Reactive Power', 'VAR', 'electrical'),
  measured('WphA', 10, 'AC Power A', 'W', 'power'),
  measured('WphB', 11, 'AC Power B', 'W', 'power'),
  measured('WphC', 12, 'AC Power C', 'W', 'power'),
  measured('DCA', 13, 'DC Current', 'A', 'electrical'),
  measured('DCV', 14, 'DC Voltage', 'V', 'electrical'),
  measured('DCW', 15, 'DC Power', 'W', 'power'),
  measured('GHI', 16, 'Irradiance Global Horizontal', 'W/m²', 'irradiance'),
  measured('POA', 17, 'Irradiance Plane of Array', 'W/m²', 'irradiance'),
  measured('TmpAmb', 18, 'Ambient Temperature', '°C', 'temperature'),
  measured('TmpMod', 19, 'Module Temperature', '°C', 'temperature'),
  // A grid meter's energy drawn from and fed into the grid (plants' energy summary).
  measured('WhImp', 20, 'AC Energy Imported', 'Wh', 'energy', ['sum']),
  measured('WhExp', 21, 'AC Energy Exported', 'Wh', 'energy', ['sum']),
];

/** Fields computed from stored ones (formulas in data/derived.ts). */
export const derivedFields: readonly BaseField[] = [
  {
    baseField: 'Whp',
    longName: 'AC Energy (prorated)',
    source: 'Measured',
    unit: 'Wh',
    aggregations: ['sum'],
    granularities: FROM_DAILY,
    kind: 'energy',
  },
  {
    baseField: 'W_m',
    longName: 'AC Power',
    source: 'Modeled',
    unit: 'W',
    aggregations: ['avg'],
    granularities: FROM_1MIN,
    fieldParameters: modelParameters,
    kind: 'power',
  },
  {
    baseField: 'Wh_m',
    longName: 'AC Energy',
    source: 'Modeled',
    unit: 'Wh',
    aggregations: ['sum'],
    granularities: FROM_1MIN,
    fieldParameters: modelParameters,
    kind: 'energy',
  },
  {
    baseField: 'Wh_e',
    longName: 'AC Energy',
    source: 'Expected',
    unit: 'Wh',
    aggregations: ['sum'],
    granularities: FROM_DAILY,
    kind: 'energy',
  },
  {
    baseField: 'GHIh_t',
    longName: 'Insolation Global Horizontal',
    source: 'Expected',
    unit: 'Wh/m²',
    aggregations: ['sum'],
    granularities: FROM_DAILY,
    kind: 'insolation',
  },
  {
    baseField: 'GHI_m',
    longName: 'VI - Irradiance Global Horizontal',
    source: 'Modeled',
    unit: 'W/m²',
    aggregations: ['avg', 'max', 'min'],
    granularities: FROM_5MIN,
    kind: 'irradiance',
  },
  {
    baseField: 'GHIh_m',
    longName: 'VI - Insolation Global Horizontal',
    source: 'Modeled',
    unit: 'Wh/m²',
    aggregations: ['sum'],
    granularities: FROM_5MIN,
    kind: 'insolation',
  },
  {
    baseField: 'GHIhp_m',
    longName: 'VI - Insolation Global Horizontal (prorated)',
    source: 'Modeled',
    unit: 'Wh/m²',
    aggregations: ['sum'],
    granularities: FROM_DAILY,
    kind: 'insolation',
  },
  {
    baseField: 'PI_m',
    longName: 'Performance Index',
    source: 'Modeled',
    unit: '',
    aggregations: ['avg'],
    granularities: FROM_1MIN,
    fieldParameters: modelParameters,
    kind: 'ratio',
  },
  {
    baseField: 'EER',
    longName: 'Energy Expectations Ratio',
    source: 'Modeled',
    unit: '',
    aggregations: ['avg'],
    granularities: FROM_DAILY,
    kind: 'ratio',
  },
  {
    baseField: 'GEER',
    longName: 'GHI-adjusted Energy Expectations Ratio',
    source: 'Modeled',
    unit: '',
    aggregations: ['avg'],
    granularities: FROM_DAILY,
    kind: 'ratio',
  },
];

export const baseFields: readonly BaseField[] = [...storedFields, ...derivedFields];

const byName = new Map(baseFields.map((f) => [f.baseField, f]));
const byCode = new Map(storedFields.map((f) => [f.code!, f]));

export function baseField(name: string): BaseField | undefined {
  return byName.get(name);
}

/** A stored field by name (an ingest key), or undefined. */
export function storedField(name: string): BaseField | undefined {
  const f = byName.get(name);
  return f?.code === undefined ? undefined : f;
}

export function fieldByCode(code: number): BaseField | undefined {
  return byCode.get(code);
}

/** `W_avg` → the base field W and aggregation avg; `Wh_m_sum` → Wh_m and sum. Undefined when no field has that short name. */
export function parseShortName(shortName: string): { field: BaseField; aggregation: Aggregation } | undefined {
  const cut = shortName.lastIndexOf('_');
  if (cut <= 0) return undefined;
  const field = byName.get(shortName.slice(0, cut));
  const aggregation = shortName.slice(cut + 1) as Aggregation;
  if (!field || !field.aggregations.includes(aggregation)) return undefined;
  return { field, aggregation };
}

export function shortName(field: BaseField, aggregation: Aggregation): string {
  return `${field.baseField}_${aggregation}`;
}
