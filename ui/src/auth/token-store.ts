/**
 * The API token: in this tab's sessionStorage (gone when the tab closes, never sent anywhere but the
 * Authorization header, never put in a URL). A browser that refuses storage keeps it in memory only.
 */
const KEY = 'ciclo.token';
let inMemory: string | null = null;

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY) ?? inMemory;
  } catch {
    return inMemory;
  }
}

export function storeToken(token: string | null): void {
  inMemory = token;
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // Storage refused (private mode, a policy): the token lives as long as the page.
  }
}
