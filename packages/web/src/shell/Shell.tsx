import { Link, NavLink, Navigate, Route, Routes } from 'react-router';
import { useSession } from '../api/session.tsx';
import { roleAtLeast, rolesFrom, useWhoami } from '../api/whoami.ts';
import { ErrorMessage, Loading } from './feedback.tsx';
import { pages, type PortalPage } from './pages.tsx';
import { SignIn } from './SignIn.tsx';

/** The signed-in frame: navigation, sign out, and the page the address names. */
export function Shell() {
  const { client, signOut } = useSession();
  if (!client) return <SignIn />;
  return <SignedIn signOut={signOut} />;
}

function SignedIn({ signOut }: { signOut: () => void }) {
  const whoami = useWhoami();
  // A page that needs more than the viewer role is linked once whoami says the role may use it.
  const role = whoami.data?.role;
  const linked = pages.filter((page) => !page.minimumRole || (role !== undefined && roleAtLeast(role, page.minimumRole)));
  return (
    <>
      <header className="top">
        <Link className="brand" to="/" aria-label="Slipway home">
          Slipway
        </Link>
        <nav aria-label="Main">
          <ul>
            {linked.map((page) => (
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
            <Route key={page.path} path={page.path} element={<RoleGate page={page} />} />
          ))}
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </>
  );
}

/** The page, or for a role below the page's minimumRole which role it needs (the API would refuse with 403). */
function RoleGate({ page }: { page: PortalPage }) {
  const whoami = useWhoami();
  if (!page.minimumRole) return page.element;
  if (whoami.isPending) return <Loading what="who you are" />;
  if (whoami.isError) return <ErrorMessage error={whoami.error} what="who you are" retry={() => void whoami.refetch()} />;
  if (roleAtLeast(whoami.data.role, page.minimumRole)) return page.element;
  return (
    <section aria-labelledby="needs-role">
      <h1 id="needs-role">{page.label}</h1>
      <p className="needs-role" role="note">
        {page.label} needs the role {rolesFrom(page.minimumRole).join(' or ')}: {page.purpose ?? 'this page'} is not open to your role in {whoami.data.workspace}, {whoami.data.role}. An admin can grant it
        (<code>slipway users grant {whoami.data.user} --role {page.minimumRole}</code>).
      </p>
    </section>
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
