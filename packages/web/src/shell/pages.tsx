import { auditReaderRole, type BuiltInRole } from '@slipway/contract';
import type { ReactNode } from 'react';
import { ApplicationsPages } from '../applications/ApplicationsPages.tsx';
import { AuditPage } from '../audit/AuditPage.tsx';
import { ManagedPage } from '../managed/ManagedPage.tsx';
import { ReleasesPage } from '../releases/ReleasesPage.tsx';

/**
 * The portal's top-level pages: each entry is a navigation link and a route. `path` is matched below
 * the root and may end in "/*" so the page routes within itself (react-router's <Routes>).
 * To add a page, import its component and add one line, e.g.
 *   { path: 'releases/*', link: '/releases', label: 'Releases', element: <ReleasesPage /> },
 * A page only some roles may use names the least of them as `minimumRole` (the role its API calls
 * need, from packages/server/src/http/operation-roles.ts): its link is shown only to those roles, and
 * anyone else who opens its address is told which role it needs instead of meeting an error.
 */
export interface PortalPage {
  path: string;
  /** Where the navigation link goes. */
  link: string;
  label: string;
  element: ReactNode;
  /** The least role that may use the page; every role may when absent. */
  minimumRole?: BuiltInRole;
  /** What the page lets one do, for the note shown to a role below minimumRole ("reading the audit log"). */
  purpose?: string;
}

export const pages: PortalPage[] = [
  { path: 'applications/*', link: '/applications', label: 'Applications', element: <ApplicationsPages /> },
  { path: 'releases/*', link: '/releases', label: 'Releases', element: <ReleasesPage /> },
  { path: 'managed/*', link: '/managed', label: 'Managed releases', element: <ManagedPage /> },
  { path: 'audit', link: '/audit', label: 'Audit', element: <AuditPage />, minimumRole: auditReaderRole, purpose: 'reading the audit log' },
];
