import { lazy, Suspense, useEffect } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { SessionGate, useSession } from './auth/session.js';
import { Loading } from './components/states.js';

// One chunk per page: the first page loads only its own code (and uPlot only with a run).
const ExperimentsPage = lazy(() => import('./pages/experiments-page.js'));
const RunsPage = lazy(() => import('./pages/runs-page.js'));
const RunPage = lazy(() => import('./pages/run-page.js'));
const ModelsPage = lazy(() => import('./pages/models-page.js'));
const ModelPage = lazy(() => import('./pages/model-page.js'));
const ModelVersionPage = lazy(() => import('./pages/model-version-page.js'));
const NotFoundPage = lazy(() => import('./pages/not-found-page.js'));

export function App() {
  return (
    <SessionGate>
      <Shell />
    </SessionGate>
  );
}

function Shell() {
  const { caller, signOut } = useSession();
  const location = useLocation();
  // A new page starts at its top. Braces: newer browsers' scrollTo returns a promise, which React would take for
  // a clean-up function.
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [location.pathname]);

  return (
    <>
      <header className="top">
        <a className="brand" href="/">
          Ciclo
        </a>
        <nav aria-label="Main">
          <NavLink to="/experiments">Experiments</NavLink>
          <NavLink to="/models">Models</NavLink>
        </nav>
        <div className="who">
          {caller.authenticated ? (
            <>
              <span>Signed in as {caller.user}</span>
              <button type="button" className="link" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : (
            <span className="muted">No authentication (local server)</span>
          )}
        </div>
      </header>
      <main>
        <Suspense fallback={<Loading what="the page" />}>
          <Routes>
            <Route path="/" element={<Navigate to="/experiments" replace />} />
            <Route path="/experiments" element={<ExperimentsPage />} />
            <Route path="/experiments/:experimentId" element={<RunsPage />} />
            <Route path="/runs/:runId" element={<RunPage />} />
            <Route path="/models" element={<ModelsPage />} />
            <Route path="/models/:name" element={<ModelPage />} />
            <Route path="/models/:name/versions/:version" element={<ModelVersionPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Routes>
        </Suspense>
      </main>
    </>
  );
}
