import { useEffect } from 'react';

/** The tab's title follows the page, so history and bookmarks say what each deep link is. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Ciclo`;
  }, [title]);
}
