// The bundle bench/communities.ts imports: one community with its areas, grid
// topology and operators, members with their delivery points, and assets of
// every type (a meter with a sensor id on every delivery point, then PV,
// storage, EV chargers, heat pumps and loads), with the fields a real
// registry fills in. Deterministic (a seeded generator), so every run and
// both engines import the same bytes; `round` keeps each copy's PODs and
// sensor ids apart (they are unique in the installation), so several copies
// can live side by side in one database.
import type { communities } from '@helio/core';

type Bundle = communities.RegistryBundleIn;
type Member = communities.MemberIn;
type DeliveryPoint = communities.DeliveryPointIn;
type Assets = NonNullable<Member['assets']>;

export interface BundleSize {
  members: number;
  deliveryPoints: number;
  assets: number;
}

/** A site and one of its components, for the assets that link to Helio. */
export interface SiteLink {
  siteId: string;
  componentId: string;
}

/** mulberry32: small, fast, and the same sequence everywhere. */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

const FIRST = ['Giulia', 'Marco', 'Francesca', 'Luca', 'Chiara', 'Matteo', 'Sara', 'Andrea', 'Elena', 'Paolo', 'Anna', 'Davide'];
const LAST = ['Rossi', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', "D'Angelo", 'Conti', 'De Luca', 'Gallo', 'Costa'];
const BUSINESSES = ['Panificio', 'Ferramenta', 'Farmacia', 'Officina', 'Agriturismo', 'Studio tecnico', 'Caseificio', 'Hotel'];
const STREETS = ['Via Roma', 'Via Garibaldi', 'Corso Italia', 'Via Mazzini', 'Piazza del Popolo', 'Via dei Mille', 'Viale Europa'];
const AREAS = ['centro', 'borgo-nord', 'borgo-sud', 'collina', 'zona-artigianale', 'lungofiume', 'frazione-est', 'frazione-ovest'];

/** Split `total` into `parts` whole shares as even as they can be; share `i` of them. */
const share = (total: number, parts: number, i: number) => Math.floor(((i + 1) * total) / parts) - Math.floor((i * total) / parts);

/** The non-meter assets, by type, in this proportion (meters come one per delivery point). */
const OTHER_TYPES = [
  ['pv', 0.4],
  ['storage', 0.2],
  ['ev_charger', 0.2],
  ['heat_pump', 0.12],
  ['load', 0.08],
] as const;

function community(key: string, round: number): { community: Bundle['community']; cabinets: string[] } {
  const topology: NonNullable<Bundle['community']['topology']> = [
    { id: 'cp-valle', type: 'primary_substation', name: 'Cabina primaria Valle', operator_id: 'e-distribuzione' },
  ];
  const areas: NonNullable<Bundle['community']['areas']> = {};
  const cabinets: string[] = [];
  AREAS.forEach((area, a) => {
    const substation = `cs-${area}`;
    topology.push({
      id: substation,
      type: 'secondary_substation',
      name: `Cabina secondaria ${area}`,
      operator_id: 'e-distribuzione',
      parent: 'cp-valle',
    });
    const nodes = [substation];
    for (let c = 1; c <= 5; c++) {
      const id = `qd-${area}-${c}`;
      topology.push({ id, type: 'cabinet', parent: substation, operator_id: a % 3 === 2 ? 'areti' : 'e-distribuzione' });
      nodes.push(id);
      cabinets.push(id);
    }
    areas[area] = {
      name: `Area ${area}`,
      topology: nodes,
      location: { lat: Number((45.07 + a * 0.01).toFixed(3)), lon: Number((7.68 + a * 0.012).toFixed(3)) },
    };
  });
  return {
    cabinets,
    community: {
      id: key,
      name: `Comunità energetica Valle Verde (copy ${round})`,
      description: 'Comunità energetica rinnovabile: cittadini, comune e imprese locali attorno a due cabine primarie.',
      legal: {
        name: 'CER Valle Verde ETS',
        legal_form: 'associazione riconosciuta',
        fiscal_code: '97812340017',
        registration_number: `RUNTS-${pad(round, 3)}-2024`,
        registered_office: 'Piazza del Municipio 1, 10100 Torino',
      },
      links: { website: 'https://cer-valleverde.example.org', privacy_policy: 'https://cer-valleverde.example.org/privacy' },
      contact: { email: 'info@cer-valleverde.example.org', phone: '+39 011 555 0100', address: 'Piazza del Municipio 1, Torino' },
      settings: { timezone: 'Europe/Rome', currency: 'EUR', energy_unit: 'kWh', power_unit: 'kW' },
      operators: {
        areti: { name: 'Areti S.p.A.', country: 'IT' },
        'e-distribuzione': { name: 'E-Distribuzione S.p.A.', country: 'IT', contact: 'connessioni@e-distribuzione.example' },
      },
      areas,
      topology,
    },
  };
}

/**
 * A bundle of `size`: members `m-00001`…, each with one or two delivery
 * points (POD codes `IT001E<round><n>`), a meter on each (with a sensor id),
 * and the other assets spread over the members by a stride, so owners are
 * scattered through the key order. Members that own PV are prosumers (or
 * producers), the others consumers, a few operators and admins. Every 500th
 * PV links to one of `links` (site and component).
 */
export function generateBundle(key: string, round: number, size: BundleSize, links: readonly SiteLink[]): Bundle {
  if (size.deliveryPoints < size.members || size.assets < size.deliveryPoints) throw new Error('want members ≤ delivery points ≤ assets');
  const random = generator(0x5eed + round);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  /** A number from lo to hi with `decimals` digits after the point (as a form would store it). */
  const between = (lo: number, hi: number, decimals = 1) => Number((lo + random() * (hi - lo)).toFixed(decimals));
  // An identity provider's subject (a UUID, as Keycloak gives).
  const uuid = () =>
    Array.from({ length: 4 }, () =>
      Math.floor(random() * 0x100000000)
        .toString(16)
        .padStart(8, '0'),
    )
      .join('')
      .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
  const { community: c, cabinets } = community(key, round);
  const width = String(size.assets).length;
  const memberKey = (i: number) => `m-${pad(i + 1, width)}`;

  // Delivery points: one a member, the extra ones spread evenly.
  const extra = size.deliveryPoints - size.members;
  const dps: DeliveryPoint[][] = [];
  let podNo = 0;
  for (let i = 0; i < size.members; i++) {
    const own: DeliveryPoint[] = [];
    for (let k = 0; k < 1 + share(extra, size.members, i); k++) {
      podNo++;
      own.push({
        id: `IT001E${pad(round, 3)}${pad(podNo, 5)}`,
        type: 'pod',
        description: k === 0 ? 'Utenza domestica' : 'Pertinenza (box, cantina)',
        address: `${pick(STREETS)} ${1 + Math.floor(random() * 180)}, 10100 Torino`,
        tariff: k === 0 ? pick(['D2', 'D3', 'BTA1']) : 'BTA1',
        active: random() > 0.02,
        topology_node: pick(cabinets),
      });
    }
    dps.push(own);
  }

  // Assets: the meters, then the other types owned by members picked with a stride coprime to their count.
  const assets: Assets[] = Array.from({ length: size.members }, () => ({}));
  const owned: { pv?: string; storage?: string }[] = Array.from({ length: size.members }, () => ({}));
  const others = size.assets - size.deliveryPoints;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = 7919;
  while (gcd(stride, size.members) !== 1) stride += 2;
  let n = 0;
  OTHER_TYPES.forEach(([type], t) => {
    const count = t === OTHER_TYPES.length - 1 ? others - n : Math.round(others * OTHER_TYPES[t]![1]);
    for (let j = 0; j < count; j++, n++) {
      const m = (n * stride) % size.members;
      const akey = `${type.replace('_', '-')}-${pad(n + 1, width)}`;
      const pod = dps[m]![0]!.id;
      const device = (model: string) => ({
        model,
        serial_number: `SN${pad(round, 3)}${pad(n, 7)}`,
        firmware_version: `${1 + (n % 4)}.${n % 10}.0`,
      });
      const into = (assets[m]![type] ??= {}) as Record<string, unknown>;
      if (type === 'pv') {
        const link = links.length && n % 500 === 0 ? links[(n / 500) % links.length]! : undefined;
        owned[m]!.pv ??= akey;
        into[akey] = {
          name: `Impianto FV ${memberKey(m)}`,
          device: { type: 'inverter', ...device(pick(['Fronius Primo 6.0-1', 'SMA Sunny Boy 5.0', 'Huawei SUN2000-6KTL'])) },
          sensor_id: j % 2 === 0 ? `inv-${pad(round, 3)}-${pad(n, 6)}` : undefined,
          pod,
          ...(link ? { site_id: link.siteId, component_id: link.componentId } : {}),
          rated_power: between(2.5, 20),
          panel_type: pick(['monocrystalline', 'polycrystalline', 'bifacial']),
          inverter_power: between(2.5, 15),
          orientation: between(135, 225, 0),
          tilt_angle: between(10, 35, 0),
          installation_date: `20${pad(15 + (n % 10), 2)}-0${1 + (n % 9)}-1${n % 10}`,
        };
      } else if (type === 'storage') {
        owned[m]!.storage ??= akey;
        const capacity = between(5, 20);
        into[akey] = {
          name: `Accumulo ${memberKey(m)}`,
          device: { type: 'battery', ...device(pick(['BYD Battery-Box HVS 7.7', 'Tesla Powerwall 2', 'Huawei LUNA2000-10'])) },
          pod,
          ...(owned[m]!.pv ? { relationships: { paired_with: owned[m]!.pv } } : {}),
          capacity,
          max_charge_power: Math.round(capacity * 5) / 10,
          max_discharge_power: Math.round(capacity * 5) / 10,
          battery_type: pick(['LFP', 'NMC']),
          round_trip_efficiency: between(0.88, 0.95, 2),
          installation_date: `2023-0${1 + (n % 9)}-2${n % 8}`,
        };
      } else if (type === 'ev_charger') {
        into[akey] = {
          name: `Wallbox ${memberKey(m)}`,
          device: device(pick(['Wallbox Pulsar Plus', 'ABB Terra AC', 'Zaptec Go'])),
          sensor_id: j % 3 === 0 ? `evse-${pad(round, 3)}-${pad(n, 6)}` : undefined,
          pod,
          max_power: pick([3.7, 7.4, 11, 22]),
          charger_type: 'AC',
          connector_types: ['Type 2'],
          smart_charging: random() > 0.3,
          bidirectional: false,
          num_ports: random() > 0.9 ? 2 : 1,
        };
      } else if (type === 'heat_pump') {
        const electrical = between(1.5, 6);
        into[akey] = {
          name: `Pompa di calore ${memberKey(m)}`,
          device: device(pick(['Daikin Altherma 3', 'Mitsubishi Ecodan', 'Vaillant aroTHERM plus'])),
          pod,
          thermal_power: Math.round(electrical * 35) / 10,
          electrical_power: electrical,
          cop: between(3, 4.8),
          scop: between(3.5, 5),
          heat_pump_type: 'air_water',
          reversible: random() > 0.5,
          refrigerant: pick(['R32', 'R290']),
        };
      } else {
        into[akey] = {
          name: `Carico flessibile ${memberKey(m)}`,
          pod,
          load_type: pick(['water_heater', 'pool_pump', 'hvac', 'irrigation']),
          rated_power: between(0.5, 4),
          min_power: 0,
          controllable: true,
          priority: pick(['low', 'medium']),
          flexibility_kw: between(0.2, 2),
        };
      }
    }
  });

  const members: NonNullable<Bundle['members']> = {};
  let meterNo = 0;
  for (let i = 0; i < size.members; i++) {
    const business = i % 40 === 7;
    const role: Member['role'] =
      i % 500 === 3 ? 'operator' : i % 1000 === 11 ? 'admin' : owned[i]!.pv ? (i % 9 === 0 ? 'producer' : 'prosumer') : 'consumer';
    const meterType = role === 'producer' ? 'production' : role === 'prosumer' ? 'bidirectional' : 'consumption';
    const meters: Record<string, unknown> = {};
    dps[i]!.forEach((dp, k) => {
      meterNo++;
      meters[`mt-${pad(meterNo, width)}`] = {
        name: `Contatore ${dp.id}`,
        device: { type: 'smart_meter', model: pick(['Enel Open Meter 2.0', 'Iskra AM550', 'Landis+Gyr E450']), serial_number: `M${dp.id}` },
        sensor_id: `meter-${pad(round, 3)}-${pad(meterNo, 6)}`,
        pod: dp.id,
        ...(k === 0 && owned[i]!.pv ? { relationships: { measures: [owned[i]!.pv] } } : {}),
        meter_type: k === 0 ? meterType : 'consumption',
        protocol: pick(['DLMS/COSEM', 'M-Bus', 'Modbus TCP']),
        installation_date: `2022-1${meterNo % 3}-0${1 + (meterNo % 9)}`,
      };
    });
    // Assets in the schema's type order, as a bundle lists them; the JSON
    // round trip drops what is undefined (types the member lacks, assets without a sensor).
    const a = assets[i]!;
    const collection = { pv: a.pv, storage: a.storage, meter: meters, ev_charger: a.ev_charger, heat_pump: a.heat_pump, load: a.load };
    members[memberKey(i)] = {
      ...(i % 10 < 7 ? { user_id: uuid() } : {}),
      name: business ? `${pick(BUSINESSES)} ${pick(LAST)} s.n.c.` : `${pick(FIRST)} ${pick(LAST)}`,
      type: business ? 'schema:LocalBusiness' : 'schema:Person',
      role,
      area: AREAS[i % AREAS.length]!,
      status: i % 50 === 5 ? 'suspended' : i % 25 === 1 ? 'pending' : i % 60 === 9 ? 'inactive' : 'active',
      delivery_points: dps[i]!,
      assets: JSON.parse(JSON.stringify(collection)) as Assets,
    };
  }
  return {
    version: '1.0',
    schema_version: '1.0',
    metadata: { created: '2025-01-15T09:00:00Z', updated_by: 'bench/communities.ts', description: 'Generated bundle for the benchmark' },
    community: c,
    members,
  };
}

/** How many of each kind a bundle holds (to check the reports and the peers' counts). */
export function countBundle(b: Bundle): { members: number; deliveryPoints: number; assets: number; byType: Record<string, number> } {
  let deliveryPoints = 0;
  let assets = 0;
  const byType: Record<string, number> = {};
  for (const m of Object.values(b.members ?? {})) {
    deliveryPoints += m.delivery_points?.length ?? 0;
    for (const [type, map] of Object.entries(m.assets ?? {})) {
      const n = Object.keys(map ?? {}).length;
      assets += n;
      byType[type] = (byType[type] ?? 0) + n;
    }
  }
  return { members: Object.keys(b.members ?? {}).length, deliveryPoints, assets, byType };
}
