// The console: sign in with the organisation's API key, then the page of its audience.
import { useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, get, hasKey, setKey, type Me } from './api';
import { initialLang, LangContext, translator, type Lang } from './i18n';
import { BankPage } from './pages/bank';
import { ChannelPage } from './pages/channel';
import { FintechPage } from './pages/fintech';
import { RegulatorPage } from './pages/regulator';
import { ErrorNote, useLoad } from './ui';

/** How many things await this organisation (GET /v1/inbox), beside its name. */
function InboxCount() {
  const inbox = useLoad(() => get<{ sections: { count: number }[] }>('/v1/inbox'));
  const { t } = useContext(LangContext);
  const n = inbox.data?.sections.reduce((a, s) => a + s.count, 0);
  return n ? (
    <span class="inbox" title={t('inbox.title')}>
      {t('inbox.count', { n })}
    </span>
  ) : null;
}

function SignIn({ onSignedIn, t }: { onSignedIn: (me: Me) => void; t: ReturnType<typeof translator> }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <main class="signin">
      <h1>{t('signin.title')}</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          setKey(value.trim());
          try {
            onSignedIn(await get<Me>('/v1/me'));
          } catch (err) {
            setKey(null);
            setError(err instanceof ApiError ? err.code : String(err));
          }
        }}
      >
        <label for="api-key">{t('signin.key')}</label>
        <input id="api-key" name="api-key" type="password" autocomplete="off" required value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        <p class="muted">{t('signin.hint')}</p>
        <button class="primary" type="submit">
          {t('signin.submit')}
        </button>
        <ErrorNote code={error} />
      </form>
    </main>
  );
}

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang());
  const t = useMemo(() => translator(lang), [lang]);
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(hasKey());

  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('app.title');
    try {
      localStorage.setItem('dfix.lang', lang);
    } catch {
      // a preference only
    }
  }, [lang]);

  useEffect(() => {
    if (!hasKey()) return;
    get<Me>('/v1/me').then(setMe, () => setKey(null)).finally(() => setChecking(false));
  }, []);

  const page = me && { regulator: <RegulatorPage />, fintech: <FintechPage />, bank: <BankPage />, channel: <ChannelPage /> }[me.kind];
  return (
    <LangContext.Provider value={{ lang, t }}>
      <header class="top">
        <div>
          <span class="brand">{t('app.title')}</span> <span class="muted">{t('app.tagline')}</span>
        </div>
        <nav aria-label={t('lang.label')} class="top-actions">
          {me && (
            <span>
              {t('signin.as')}: <strong>{me.name}</strong> ({t(`kind.${me.kind}`)})
            </span>
          )}
          {me && <InboxCount key={me.id} />}
          <button lang={lang === 'zh' ? 'en' : 'zh-CN'} title={t('lang.label')} onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
            {t('lang.switch')}
          </button>
          {me && (
            <button
              onClick={() => {
                setKey(null);
                setMe(null);
              }}
            >
              {t('signin.out')}
            </button>
          )}
        </nav>
      </header>
      {checking && !me ? (
        <main>
          <p class="muted">{t('common.loading')}</p>
        </main>
      ) : me ? (
        <main>
          <h1>{t(`page.${me.kind}`)}</h1>
          {page}
        </main>
      ) : (
        <SignIn t={t} onSignedIn={setMe} />
      )}
    </LangContext.Provider>
  );
}
