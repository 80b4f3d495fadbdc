// The desktop's settings: defaults, then the environment, validated and
// frozen. The one place the desktop reads process.env.
import { z } from 'zod';

const schema = z.strictObject({
  /** Where the database, session and captured files live; Electron defaults it to `<userData>/data`. */
  dataDir: z.string().min(1).optional(),
  /** Web host only. */
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  /** The directory npm was run from (npm sets INIT_CWD), so `npm run desktop:web` keeps its data beside the checkout. */
  invokedFrom: z.string().min(1),
});

export type DesktopConfig = Readonly<z.infer<typeof schema>>;

export function loadDesktopConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<DesktopConfig> = {}): DesktopConfig {
  const parsed = schema.safeParse({
    dataDir: env.HELIO_DESKTOP_DATA_DIR || undefined,
    host: env.HELIO_DESKTOP_HOST || '127.0.0.1',
    port: env.HELIO_DESKTOP_PORT || 3100,
    invokedFrom: env.INIT_CWD || process.cwd(),
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  });
  if (!parsed.success) {
    throw new Error(`invalid desktop settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return Object.freeze(parsed.data);
}
