// The simple PV model (PVWatts version 5 style) behind the modeled fields
// W_m and Wh_m, and so behind PI_m and the Performance Index alert.
//
//   P_dc  = size_kW × 1000 × (G / 1000) × (1 + γ × (T_module − 25 °C))      γ = −0.47 %/°C (PVWatts v5 standard module)
//   P_dc' = P_dc × mismatch × diodesAndConnections × dcWiring × soiling × sunTracking × nameplate   (each a percentage / 100)
//   P_ac  = P_dc' × 96 %                                                     (PVWatts' nominal inverter efficiency)
//   P_ac  = min(P_ac, size_kW × 1000 / 1.2)    only with inverterClipping=true (DC/AC ratio 1.2)
//   W_m   = P_ac × acWiring × transformer                                   (never below 0)
//
// G is the plane-of-array irradiance when the weather station measures it,
// else global horizontal irradiance (a flat-plate approximation). T_module is
// the measured module temperature, else ambient + G × (45 − 20) / 800 (the
// NOCT estimate with a 45 °C nominal operating cell temperature).

export interface ModelSettings {
  /** kW DC; without it nothing can be modeled. */
  sizeKw: number;
  mismatch: number;
  diodesAndConnections: number;
  dcWiring: number;
  soiling: number;
  sunTracking: number;
  nameplate: number;
  acWiring: number;
  transformer: number;
}

export const TEMPERATURE_COEFFICIENT = -0.0047;
export const INVERTER_EFFICIENCY = 0.96;
export const DC_AC_RATIO = 1.2;
const NOCT = 45;

/** The module temperature the model uses: measured when given, else the NOCT estimate from ambient temperature. */
export function moduleTemperature(irradiance: number, measuredModule: number | undefined, ambient: number | undefined): number {
  if (measuredModule !== undefined) return measuredModule;
  return (ambient ?? 25) + (irradiance * (NOCT - 20)) / 800;
}

export function dcDerate(s: ModelSettings): number {
  return (
    (s.mismatch / 100) *
    (s.diodesAndConnections / 100) *
    (s.dcWiring / 100) *
    (s.soiling / 100) *
    (s.sunTracking / 100) *
    (s.nameplate / 100)
  );
}

/** Modeled AC power in W for an irradiance (W/m²) and module temperature (°C). */
export function modeledAcPower(s: ModelSettings, irradiance: number, moduleTemp: number, opts: { inverterClipping: boolean }): number {
  const ratedDc = s.sizeKw * 1000;
  const dc = ratedDc * (irradiance / 1000) * (1 + TEMPERATURE_COEFFICIENT * (moduleTemp - 25)) * dcDerate(s);
  let ac = dc * INVERTER_EFFICIENCY;
  if (opts.inverterClipping) ac = Math.min(ac, ratedDc / DC_AC_RATIO);
  return Math.max(0, ac * (s.acWiring / 100) * (s.transformer / 100));
}

/** The sites columns that hold a site's model settings, as a select list. */
export const MODEL_SETTING_COLUMNS =
  'size_kw, mismatch, diodes_and_connections, dc_wiring, soiling, sun_tracking, nameplate, ac_wiring, transformer';

/** A site row's model settings columns (MODEL_SETTING_COLUMNS). */
export interface ModelSettingRow {
  size_kw: number | null;
  mismatch: number;
  diodes_and_connections: number;
  dc_wiring: number;
  soiling: number;
  sun_tracking: number;
  nameplate: number;
  ac_wiring: number;
  transformer: number;
}

/** The percentages of a site row, named as the Locus `modelsettings` object and ModelSettings name them. */
export function modelPercentages(r: ModelSettingRow): Omit<ModelSettings, 'sizeKw'> {
  return {
    mismatch: r.mismatch,
    diodesAndConnections: r.diodes_and_connections,
    dcWiring: r.dc_wiring,
    soiling: r.soiling,
    sunTracking: r.sun_tracking,
    nameplate: r.nameplate,
    acWiring: r.ac_wiring,
    transformer: r.transformer,
  };
}

/** The model of a site row, or null when the site has no size (nothing can be modeled without it). */
export function modelOfSite(r: ModelSettingRow): ModelSettings | null {
  return r.size_kw !== null && r.size_kw > 0 ? { sizeKw: r.size_kw, ...modelPercentages(r) } : null;
}
