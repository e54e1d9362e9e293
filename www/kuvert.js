/*! Kuvert loader: mounts the booking frame (served from this script's origin) in an isolated,
   cross-origin iframe. Plain JS, no build step. Relays only the frame's height and, after a
   booking, what data-event-detail opts in to of {reference, service, start} (nothing by
   default); messages from any other origin are ignored. */
(() => {
  'use strict';
  const s = document.currentScript;
  if (!s) return;
  const d = s.dataset;
  const src = new URL(s.src);
  const origin = src.origin;
  const labels = {
    en: ['Book an appointment', 'Close'], nl: ['Een afspraak maken', 'Sluiten'],
    sv: ['Boka en tid', 'Stäng'], de: ['Einen Termin buchen', 'Schließen'],
  };
  const words = labels[(d.lang || navigator.language || '').slice(0, 2).toLowerCase()] || labels.en;
  const label = d.label || words[0];
  const p = new URLSearchParams();
  const put = (k, v) => { if (v) p.set(k, v); };
  put('form', d.form); put('keys', d.recipients); put('lang', d.lang);
  put('host', location.origin); put('detail', (d.eventDetail || '').replace(/\s/g, '')); put('accent', d.accent); put('radius', d.radius); put('font', d.font);
  const f = document.createElement('iframe');
  // The fragment is never sent to a server: the keys and form id stay out of every request.
  f.src = new URL('frame.html', src).href + '#' + p;
  f.title = label;
  f.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms allow-downloads');
  f.allow = 'clipboard-write';
  f.referrerPolicy = 'no-referrer';
  const st = f.style;
  st.width = '100%'; st.border = '0'; st.display = 'block'; st.height = '420px'; st.colorScheme = 'light';
  const shapes = { reference: /^[A-Z0-9-]{4,32}$/, service: /^[a-z0-9-]{1,63}$/, start: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/ };
  addEventListener('message', (e) => {
    if (e.origin !== origin || e.source !== f.contentWindow) return;
    const m = e.data;
    if (!m || typeof m !== 'object') return;
    if (m.kuvert === 'height') {
      const h = Number(m.height);
      if (h > 0 && h < 100000) st.height = Math.ceil(h) + 'px';
    } else if (m.kuvert === 'booked') {
      const detail = {};
      for (const k in shapes) {
        if (!m[k]) continue;
        if (typeof m[k] !== 'string' || !shapes[k].test(m[k])) return;
        detail[k] = m[k];
      }
      f.dispatchEvent(new CustomEvent('kuvert:booked', { detail, bubbles: true, composed: true }));
    }
  });
  const target = d.target && document.getElementById(d.target);
  const place = (el) => (target ? target.append(el) : s.after(el));
  const button = () => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    return b;
  };
  if (d.mode === 'button') {
    const b = button();
    f.id = 'kuvert-' + Math.random().toString(36).slice(2);
    // Shown and hidden with the inline style (the `hidden` attribute loses to display: block).
    st.display = 'none';
    b.setAttribute('aria-expanded', 'false');
    b.setAttribute('aria-controls', f.id);
    b.onclick = () => {
      const open = st.display === 'none';
      st.display = open ? 'block' : 'none';
      b.setAttribute('aria-expanded', String(open));
    };
    place(b);
    b.after(f);
  } else if (d.mode === 'popup') {
    const b = button();
    const dlg = document.createElement('dialog');
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = '×';
    close.setAttribute('aria-label', words[1]);
    close.onclick = () => dlg.close();
    const ds = dlg.style;
    ds.width = 'min(40rem, 96vw)'; ds.padding = '0'; ds.border = '0'; ds.borderRadius = '8px';
    close.style.float = 'right';
    dlg.setAttribute('aria-label', label);
    dlg.append(close, f);
    b.onclick = () => dlg.showModal();
    place(b);
    b.after(dlg);
  } else {
    place(f);
  }
})();
