// The language in use: Chinese by default, English on request (kept in localStorage: a
// preference, not a secret).
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en } from './en';
import { zh, type MessageKey, type Messages } from './zh';

export type Lang = 'zh' | 'en';
export const CATALOGUES: Record<Lang, Messages> = { zh, en };
export type T = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): T {
  const m = CATALOGUES[lang];
  return (key, vars) => (m[key] ?? key).replace(/\{(\w+)\}/g, (_, k: string) => String(vars?.[k] ?? ''));
}

export function initialLang(): Lang {
  try {
    return localStorage.getItem('dfix.lang') === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export const LangContext = createContext<{ lang: Lang; t: T }>({ lang: 'zh', t: translator('zh') });
export const useT = () => useContext(LangContext).t;
export type { MessageKey };
