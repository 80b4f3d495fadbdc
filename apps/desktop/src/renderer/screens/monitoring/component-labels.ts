// Words for the Locus component vocabularies. Typed by the router's own input
// type, so a value core adds is a type error here until it has a label.
import type { Inputs, Outputs } from '../../client.js';

export type Component = Outputs['components']['list'][number];
type CreateInput = Inputs['components']['create'];
export type NodeType = CreateInput['nodeType'];
export type Application = NonNullable<CreateInput['application']>;
export type GenerationType = NonNullable<CreateInput['generationType']>;

export const nodeTypeLabels: Record<NodeType, string> = {
  METER: 'Meter',
  INVERTER: 'Inverter',
  STRING: 'String',
  COMBINER: 'Combiner box',
  WEATHERSTATION: 'Weather station',
  BATTERY: 'Battery',
  GATEWAY: 'Gateway',
  SENSOR: 'Sensor',
  OTHER: 'Other',
};

export const applicationLabels: Record<Application, string> = {
  GENERATION: 'Generation',
  'NET-GRID': 'Net grid (import and export)',
};

export const generationTypeLabels: Record<GenerationType, string> = {
  SOLAR: 'Solar',
  WIND: 'Wind',
  THERMAL: 'Thermal',
  OTHER: 'Other',
  'NET-GRID': 'Net grid',
  EVSE: 'EV charging',
};
