import { Route, Routes } from 'react-router';
import { ApplicationsList } from './ApplicationsList.tsx';

/** Routes below /applications. */
export function ApplicationsPages() {
  return (
    <Routes>
      <Route index element={<ApplicationsList />} />
    </Routes>
  );
}
