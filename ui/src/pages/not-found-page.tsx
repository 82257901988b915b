import { Link, useLocation } from 'react-router';
import { usePageTitle } from '../components/page-title.js';

export default function NotFoundPage() {
  const { pathname } = useLocation();
  usePageTitle('Not found');
  return (
    <>
      <h1>Not found</h1>
      <p>
        No page at <code>{pathname}</code>. See the <Link to="/experiments">experiments</Link>.
      </p>
    </>
  );
}
