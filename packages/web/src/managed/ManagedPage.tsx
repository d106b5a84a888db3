import { Route, Routes } from 'react-router';
import { ManagedOverview } from './ManagedOverview.tsx';
import { ManagedReleaseDetail } from './ManagedReleaseDetail.tsx';
import './managed.css';

/** Routes below /managed: plans, admissions and managed releases; one managed release. */
export function ManagedPage() {
  return (
    <Routes>
      <Route index element={<ManagedOverview />} />
      <Route path=":ref" element={<ManagedReleaseDetail />} />
    </Routes>
  );
}
