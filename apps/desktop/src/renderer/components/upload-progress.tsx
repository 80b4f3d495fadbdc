import { formatBytes } from '../labels.js';

/** A file on its way to the server: a progress bar with the bytes sent. */
export function UploadProgress(props: { filename: string; sentBytes: number; totalBytes: number }) {
  return (
    <span className="upload-progress">
      <progress max={props.totalBytes} value={props.sentBytes} aria-label={`Uploading ${props.filename}`} />
      <span>
        {formatBytes(props.sentBytes)} of {formatBytes(props.totalBytes)}
      </span>
    </span>
  );
}
