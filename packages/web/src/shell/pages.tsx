import type { ReactNode } from 'react';
import { ApplicationsPages } from '../applications/ApplicationsPages.tsx';
import { AuditPage } from '../audit/AuditPage.tsx';
import { ReleasesPage } from '../releases/ReleasesPage.tsx';

/**
 * The portal's top-level pages: each entry is a navigation link and a route. `path` is matched below
 * the root and may end in "/*" so the page routes within itself (react-router's <Routes>).
 * To add a page, import its component and add one line, e.g.
 *   { path: 'releases/*', link: '/releases', label: 'Releases', element: <ReleasesPage /> },
 */
export interface PortalPage {
  path: string;
  /** Where the navigation link goes. */
  link: string;
  label: string;
  element: ReactNode;
}

export const pages: PortalPage[] = [
  { path: 'applications/*', link: '/applications', label: 'Applications', element: <ApplicationsPages /> },
  { path: 'releases/*', link: '/releases', label: 'Releases', element: <ReleasesPage /> },
  { path: 'audit', link: '/audit', label: 'Audit', element: <AuditPage /> },
];
