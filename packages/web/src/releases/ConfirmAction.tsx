import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';

/**
 * A modal that says in plain words what an action on a release will do, takes an optional reason
 * where the API keeps one, and shows the server's answer when it refuses (a gate that does not
 * hold, a role that is missing). The page keeps it open until the call succeeds or it is cancelled.
 */
export function ConfirmAction({
  title,
  confirm,
  danger = false,
  reason = false,
  pending,
  error,
  onConfirm,
  onClose,
  children,
}: {
  title: string;
  /** The confirm button's words ("Abort release #3"). */
  confirm: string;
  danger?: boolean;
  /** Whether to ask for an optional reason, handed to onConfirm. */
  reason?: boolean;
  pending: boolean;
  error: Error | null;
  onConfirm: (reason: string | undefined) => void;
  onClose: () => void;
  children: ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const ids = { title: useId(), what: useId(), reason: useId() };
  const [why, setWhy] = useState('');
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onConfirm(why.trim() || undefined);
  };
  return (
    <dialog
      ref={dialog}
      className="confirm-action"
      aria-labelledby={ids.title}
      aria-describedby={ids.what}
      onCancel={(event) => {
        event.preventDefault();
        if (!pending) onClose();
      }}
    >
      <form onSubmit={submit}>
        <h2 id={ids.title}>{title}</h2>
        <div id={ids.what} className="confirm-what">
          {children}
        </div>
        {reason ? (
          <div className="field">
            <label htmlFor={ids.reason}>Reason (optional)</label>
            <input id={ids.reason} value={why} onChange={(e) => setWhy(e.target.value)} maxLength={2000} disabled={pending} />
          </div>
        ) : null}
        {error ? (
          <p className="error" role="alert">
            <strong>The server refused:</strong> {error.message}
          </p>
        ) : null}
        <div className="actions">
          <button type="submit" className={danger ? 'danger' : undefined} disabled={pending}>
            {pending ? 'Working…' : confirm}
          </button>
          <button type="button" className="secondary" onClick={onClose} disabled={pending} autoFocus>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
