import { Link, NavLink, Navigate, Route, Routes } from 'react-router';
import { useSession } from '../api/session.tsx';
import { useWhoami } from '../api/whoami.ts';
import { pages } from './pages.tsx';
import { SignIn } from './SignIn.tsx';

/** The signed-in frame: navigation, sign out, and the page the address names. */
export function Shell() {
  const { client, signOut } = useSession();
  if (!client) return <SignIn />;
  return (
    <>
      <header className="top">
        <Link className="brand" to="/" aria-label="Slipway home">
          Slipway
        </Link>
        <nav aria-label="Main">
          <ul>
            {pages.map((page) => (
              <li key={page.link}>
                <NavLink to={page.link}>{page.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <SignedInAs />
        <button type="button" className="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main className="page">
        <Routes>
          <Route index element={<Navigate to={pages[0]!.link} replace />} />
          {pages.map((page) => (
            <Route key={page.path} path={page.path} element={page.element} />
          ))}
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </>
  );
}

function NotFound() {
  return (
    <div className="error" role="alert">
      <p>
        <strong>Not found:</strong> the portal has no page at {window.location.pathname}.
      </p>
    </div>
  );
}

function SignedInAs() {
  const whoami = useWhoami();
  if (!whoami.data) return null;
  const { user, role, workspace } = whoami.data;
  return (
    <span className="who" title={`token "${whoami.data.token.name}"`}>
      {user} · {role} <span className="hide-narrow">in {workspace}</span>
    </span>
  );
}
