import { useOnline } from '../hooks.js';

export function OnlineIndicator() {
  const online = useOnline();
  return (
    <span className={`indicator ${online ? 'indicator-online' : 'indicator-offline'}`} role="status" aria-label="Network status">
      {online ? 'Online' : 'Offline'}
    </span>
  );
}
