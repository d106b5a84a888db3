import { Route, Routes } from 'react-router';
import { ApplicationPage } from './ApplicationPage.tsx';
import { ApplicationsList } from './ApplicationsList.tsx';
import { EnvironmentPage } from './EnvironmentPage.tsx';

/** Routes below /applications. */
export function ApplicationsPages() {
  return (
    <Routes>
      <Route index element={<ApplicationsList />} />
      <Route path=":app" element={<ApplicationPage />} />
      <Route path=":app/environments/:env" element={<EnvironmentPage />} />
    </Routes>
  );
}
