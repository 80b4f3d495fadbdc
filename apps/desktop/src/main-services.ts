// The desktop's main-process services for code that runs them without a
// window: the integration tests and the sync benchmark.
import { createDesktopContext, desktopRouter } from './main/router.js';
import type { DesktopServices } from './main/services.js';

export { openDesktopServices, type DesktopServices, type OpenDesktopOptions } from './main/services.js';
export { refreshTokenVault, memoryTokenVault } from './main/refresh-token-vault.js';

/** The desktop router called in-process, as the renderer would call it. */
export function callerFor(services: DesktopServices) {
  return desktopRouter.createCaller(createDesktopContext(services));
}
