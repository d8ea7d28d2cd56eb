// ReliefLog dashboard: plain JavaScript, no framework, no other origin. The token lives in
// sessionStorage (this tab only) and travels only in the Authorization header of requests to
// this server. Analytics are polled with If-None-Match, so an idle dashboard costs 304s.
'use strict';

(() => {
  const TOKEN_KEY = 'relieflog.token';
  const query = new URLSearchParams(location.search);
  // ?poll=SECONDS shortens or lengthens the interval (1 to 3600; default 60).
  const pollSeconds = Math.min(3600, Math.max(1, parseInt(query.get('poll') || '60', 10) || 60));
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const SVG = 'http://www.w3.org/2000/svg';

  /** Responses by URL: { etag, data }, so a poll can send If-None-Match and reuse a 304. */
  const cache = new Map();
  let caller = null;
  let timer = null;
  let current = null; // { key, urls, render }
  let generation = 0;

  const $ = (id) => document.getElementById(id);

  // ---- DOM helpers (text only: data never becomes markup) ----

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'text') node.textContent = value;
      else if (name === 'onclick') node.addEventListener('click', value);
      else node.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** A number as the report prints it: at most two decimals, trailing zeros dropped; null as –. */
  function fmt(value) {
    if (value === null || value === undefined) return '–';
    if (Number.isInteger(value)) return String(value);
    const text = value.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
    return text === '-0' ? '0' : text;
  }

  const words = (slug) => String(slug).replace(/_/g, ' ');
  const lastDay = (to) => addDays(to, -1);

  function parseDay(text) {
    const [y, m, d] = text.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d));
  }
  function dayText(date) { return date.toISOString().slice(0, 10); }
  function addDays(text, days) {
    const date = parseDay(text);
    date.setUTCDate(date.getUTCDate() + days);
    return dayText(date);
  }
  function monthLabel(text) {
    const date = parseDay(text);
    return MONTHS[date.getUTCMonth()] + ' ' + date.getUTCFullYear();
  }

  function announce(text) { $('live').textContent = text; }

  // ---- API ----

  class ApiError extends Error {
    constructor(status, detail) { super(detail); this.status = status; }
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  async function api(path, { conditional = true } = {}) {
    const headers = { Authorization: 'Bearer ' + token(), Accept: 'application/json' };
    const entry = cache.get(path);
    if (conditional && entry && entry.etag) headers['If-None-Match'] = entry.etag;
    const response = await fetch(path, { headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
    if (response.status === 304 && entry) return { data: entry.data, changed: false };
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
      throw new ApiError(response.status, detail);
    }
    const data = await response.json();
    cache.set(path, { etag: response.headers.get('ETag'), data });
    return { data, changed: true };
  }

  // ---- Sign in and out ----

  async function signIn(event) {
    event.preventDefault();
    const input = $('token');
    const value = input.value.trim();
    $('signin-error').textContent = '';
    if (!value) {
      $('signin-error').textContent = 'Paste a token first.';
      input.focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, value);
    input.value = '';
    await start();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    cache.clear();
    caller = null;
    current = null;
    generation += 1;
    if (timer) clearInterval(timer);
    timer = null;
    $('view').replaceChildren();
    $('view').hidden = true;
    $('signin').hidden = false;
    $('signout').hidden = true;
    $('who').textContent = '';
    $('poll').textContent = '';
    $('signin-error').textContent = message || '';
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
    document.title = 'ReliefLog dashboard';
    $('token').focus();
  }

  async function start() {
    try {
      caller = (await api('/v1/me', { conditional: false })).data;
    } catch (error) {
      signOut(error.status === 401
        ? 'The token was not accepted: it may be mistyped, expired or revoked.'
        : 'The server could not be reached (' + error.message + ').');
      return;
    }
    $('signin').hidden = true;
    $('view').hidden = false;
    $('signout').hidden = false;
    $('who').textContent = 'Signed in as ' + caller.role +
      (caller.role === 'patient' ? '' : caller.therapistId ? ' (therapist ' + caller.therapistId + ')' : '');
    if (timer) clearInterval(timer);
    timer = setInterval(poll, pollSeconds * 1000);
    await route();
  }

  // ---- Views ----

  async function route() {
    const match = /^#patient\/(\d+)$/.exec(location.hash);
    let next;
    if (caller.role === 'patient') next = patientView(caller.patientId);
    else if (match) next = patientView(Number(match[1]));
    else next = clinicView();
    current = next;
    await show(next, true);
  }

  /** Loads every URL of the view (conditionally) and renders when anything changed. */
  async function show(view, first) {
    const mine = ++generation;
    let changed = first;
    try {
      const data = {};
      for (const [name, url] of Object.entries(view.urls())) {
        const result = await api(url);
        data[name] = result.data;
        changed = changed || result.changed;
      }
      if (view.more) {
        const more = await view.more(data);
        for (const [name, url] of Object.entries(more)) {
          const result = await api(url);
          data[name] = result.data;
          changed = changed || result.changed;
        }
      }
      if (mine !== generation || current !== view) return;
      if (changed) {
        if (view.lists) Object.assign(data, await view.lists(data));
        if (mine !== generation || current !== view) return;
        const focused = document.activeElement && document.activeElement.id;
        $('view').replaceChildren(view.render(data));
        if (first) { const h = $('view').querySelector('h1'); if (h) { h.tabIndex = -1; h.focus(); } }
        else if (focused && $(focused)) $(focused).focus();
        if (!first) announce('The figures were updated.');
      }
      stamp(changed && !first ? 'changed' : 'no change');
    } catch (error) {
      if (mine !== generation) return;
      if (error.status === 401) { signOut('The token is no longer accepted. Sign in again.'); return; }
      $('view').replaceChildren(el('section', { class: 'panel' },
        el('h1', { text: 'Could not load the figures' }),
        el('p', { class: 'error', text: error.message }),
        el('p', {}, el('a', { href: '#', text: 'Back to the start' }))));
    }
  }

  function stamp(what) {
    const time = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    $('poll').textContent = 'Checks for new diary data every ' + pollSeconds + ' s; last check ' + time + ' (' + what + ').';
  }

  async function poll() {
    if (!current || !token() || document.visibilityState === 'hidden') return;
    await show(current, false);
  }

  // ---- Clinic view (admin, clinician) ----

  function clinicView() {
    return {
      key: 'clinic',
      urls: () => ({
        overview: '/v1/analytics/overview',
        techniques: '/v1/analytics/techniques',
        therapists: '/v1/analytics/therapists',
      }),
      lists: async () => ({ patients: (await api('/v1/patients?limit=200', { conditional: false })).data }),
      render: renderClinic,
    };
  }

  function card(label, value, n, id) {
    return el('li', { class: 'card', id: id || null },
      el('span', { class: 'label', text: label }),
      el('span', { class: 'value', text: value }),
      n ? el('span', { class: 'n', text: n }) : null);
  }

  function renderClinic(d) {
    document.title = 'Clinic overview · ReliefLog';
    const o = d.overview;
    const p = o.previous || {};
    const period = o.from + ' to ' + lastDay(o.to) + ' (UTC days)';
    const root = el('div', {});
    root.append(el('div', { class: 'head' }, el('h1', { text: 'Clinic overview' }), el('p', { class: 'muted', text: period })));
    warnings(root, o.warnings);
    root.append(el('ul', { class: 'cards', 'aria-label': 'Clinic figures, with the previous period of the same length' },
      card('Patients', fmt(o.patients), 'all on record', 'clinic-patients'),
      card('Active therapists', fmt(o.activeTherapists), null, 'clinic-therapists'),
      card('Episodes', fmt(o.episodes), 'previous period ' + fmt(p.episodes), 'clinic-episodes'),
      card('Sessions', fmt(o.sessions), 'previous period ' + fmt(p.sessions), 'clinic-sessions'),
      card('Mean peak intensity', fmt(o.meanIntensity), 'n = ' + fmt(o.episodes) + ' episodes; before ' + fmt(p.meanIntensity), 'clinic-intensity'),
      card('Mean pain drop', fmt(o.meanPainDrop), 'per session with both ratings; before ' + fmt(p.meanPainDrop), 'clinic-paindrop')));

    const grid = el('div', { class: 'grid' });
    const techniques = d.techniques.items || [];
    grid.append(el('section', { class: 'panel', 'aria-labelledby': 'tech-title' },
      el('h2', { id: 'tech-title', text: 'Techniques' }),
      barChart(techniques.map((t) => ({ label: words(t.technique), value: t.sessions })), 'Sessions per technique'),
      table('Clinic sessions per technique (n = sessions)', ['Technique', 'Sessions', 'Patients', 'Mean pain drop', 'Mean stress drop'],
        techniques.map((t) => [words(t.technique), fmt(t.sessions), fmt(t.patients), fmt(t.meanPainDrop), fmt(t.meanStressDrop)]), 'techniques-table')));
    const therapists = d.therapists.items || [];
    grid.append(el('section', { class: 'panel', 'aria-labelledby': 'ther-title' },
      el('h2', { id: 'ther-title', text: 'Therapists' }),
      table('Professional sessions per therapist (n = sessions)', ['Therapist', 'Sessions', 'Patients', 'Mean pain drop', 'Mean stress drop'],
        therapists.map((t) => [t.name, fmt(t.sessions), fmt(t.patients), fmt(t.meanPainDrop), fmt(t.meanStressDrop)]), 'therapists-table')));
    root.append(grid);

    const patients = d.patients.items || [];
    const rows = patients.map((p) => el('tr', {},
      el('td', {}, el('a', { href: '#patient/' + p.id, text: p.displayName })),
      el('td', { class: 'num', text: String(p.id) }),
      el('td', { text: p.timezone || 'UTC' }),
      el('td', { text: p.externalId || '' })));
    root.append(el('section', { class: 'panel', 'aria-labelledby': 'pat-title' },
      el('h2', { id: 'pat-title', text: 'Patients' }),
      el('div', { class: 'scroll' }, el('table', { id: 'patients-table' },
        el('caption', { text: patients.length + ' patients' + (d.patients.nextCursor ? ' (first ' + patients.length + ' shown)' : '') }),
        el('thead', {}, el('tr', {}, ['Name', 'Id', 'Time zone', 'External id'].map((h, i) => el('th', { scope: 'col', class: i === 1 ? 'num' : null, text: h })))),
        el('tbody', {}, rows)))));
    return root;
  }

  // ---- Patient view ----

  function patientView(id) {
    const base = '/v1/patients/' + id;
    return {
      key: 'patient ' + id,
      urls: () => ({
        patient: base,
        summary: base + '/analytics/summary',
        months: base + '/analytics/trends?bucket=month',
        effect: base + '/analytics/massage-effect',
      }),
      // The calendar: the last three calendar months up to today (the summary's last day).
      more: async (d) => {
        const today = lastDay(d.summary.to);
        const first = parseDay(today);
        first.setUTCDate(1);
        first.setUTCMonth(first.getUTCMonth() - 2);
        return { days: base + '/analytics/trends?bucket=day&from=' + dayText(first) + '&to=' + d.summary.to };
      },
      lists: async () => ({
        episodes: (await api('/v1/episodes?patientId=' + id + '&limit=8', { conditional: false })).data,
        sessions: (await api('/v1/sessions?patientId=' + id + '&limit=8', { conditional: false })).data,
      }),
      render: (d) => renderPatient(id, d),
    };
  }

  function renderPatient(id, d) {
    const s = d.summary;
    document.title = d.patient.displayName + ' · ReliefLog';
    const root = el('div', {});
    const actions = el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'secondary', id: 'open-report', onclick: () => openReport(id) }, 'Printable report'));
    if (caller.role !== 'patient') actions.prepend(el('a', { class: 'button secondary', href: '#', text: '← Clinic overview' }));
    root.append(el('div', { class: 'head' },
      el('h1', { text: d.patient.displayName }),
      el('p', { class: 'muted', text: 'Last 28 days: ' + s.from + ' to ' + lastDay(s.to) + ' · time zone ' + (d.patient.timezone || 'UTC') }),
      actions));
    warnings(root, [...(s.warnings || []), ...(d.effect.warnings || [])]);
    root.append(el('ul', { class: 'cards', 'aria-label': 'Figures of the last 28 days' },
      card('Migraine days', fmt(s.migraineDays), 'of ' + fmt(s.days) + ' days', 'fig-migraine-days'),
      card('Monthly migraine days', fmt(s.monthlyMigraineDays), 'MMD, n = ' + fmt(s.days) + ' days', 'fig-mmd'),
      card('Episodes', fmt(s.episodes), fmt(s.auraEpisodes) + ' with aura', 'fig-episodes'),
      card('Mean peak intensity', fmt(s.meanIntensity), 'n = ' + fmt(s.episodes) + ' episodes', 'fig-intensity'),
      card('Medication days', fmt(s.medicationDays), 'n = ' + fmt(s.days) + ' days', 'fig-medication-days'),
      card('Massage sessions', fmt(s.sessions), fmt(s.sessionMinutes) + ' minutes', 'fig-sessions'),
      card('Mean pain drop', fmt(s.meanPainDrop), 'per session with both ratings', 'fig-pain-drop')));

    const grid = el('div', { class: 'grid' });
    grid.append(calendarPanel(d.days));
    grid.append(monthsPanel(d.months, d.effect));
    grid.append(medicationPanel(s));
    grid.append(effectPanel(d.effect));
    root.append(grid);
    root.append(el('div', { class: 'grid' }, episodesPanel(d.episodes), sessionsPanel(d.sessions)));
    return root;
  }

  function warnings(root, list) {
    const unique = [...new Set(list || [])];
    if (unique.length) {
      root.append(el('p', { class: 'warn' }, 'Data warnings: ' + unique.join(', ') + '. Read the figures they concern with care.'));
    }
  }

  function shade(bucket) {
    if (!bucket || !bucket.migraineDays) return 0;
    const peak = bucket.peakIntensity === null ? 0 : bucket.peakIntensity;
    return peak <= 3 ? 1 : peak <= 6 ? 2 : 3;
  }

  function calendarPanel(days) {
    const buckets = days.buckets || [];
    const byDay = new Map(buckets.map((b) => [b.start, b]));
    const months = [];
    let month = days.from.slice(0, 8) + '01';
    while (month < days.to) {
      months.push(month);
      const next = parseDay(month);
      next.setUTCMonth(next.getUTCMonth() + 1);
      month = dayText(next);
    }
    const cell = 18;
    const block = 7 * (cell + 2) + 14;
    const height = 20 + 6 * (cell + 2);
    const width = Math.max(1, months.length) * block;
    const migraine = buckets.filter((b) => b.migraineDays > 0);
    const chart = svg('svg', { class: 'chart', viewBox: '0 0 ' + width + ' ' + height, role: 'img', id: 'calendar',
      'aria-label': 'Calendar of the last ' + months.length + ' months: ' + migraine.length + ' migraine days of ' + buckets.length + ', shaded by the day\'s peak intensity.' });
    months.forEach((start, index) => {
      const x0 = index * block;
      chart.append(svg('text', { x: x0, y: 12 }, monthLabel(start)));
      const first = parseDay(start);
      const lead = (first.getUTCDay() + 6) % 7;
      const date = new Date(first);
      while (date.getUTCMonth() === first.getUTCMonth()) {
        const offset = lead + date.getUTCDate() - 1;
        const text = dayText(date);
        const bucket = byDay.get(text);
        const rect = svg('rect', {
          x: x0 + (offset % 7) * (cell + 2), y: 18 + Math.floor(offset / 7) * (cell + 2), width: cell, height: cell, rx: 2,
          class: bucket ? 'day s' + shade(bucket) : 'outside',
        });
        if (bucket) {
          rect.append(svg('title', {}, text + (bucket.migraineDays ? ': migraine, peak intensity ' + fmt(bucket.peakIntensity) : ': no migraine')));
        }
        chart.append(rect);
        date.setUTCDate(date.getUTCDate() + 1);
      }
    });
    const legend = el('ul', { class: 'legend', 'aria-label': 'Legend' },
      ['no migraine', 'peak 0–3', 'peak 4–6', 'peak 7–10'].map((label, i) => el('li', {}, el('span', { class: 'swatch s' + i }), label)));
    const list = migraine.map((b) => b.start + ' (peak ' + fmt(b.peakIntensity) + ')').join(', ');
    return el('section', { class: 'panel', 'aria-labelledby': 'cal-title' },
      el('h2', { id: 'cal-title', text: 'Calendar' }),
      el('div', { class: 'scroll' }, chart), legend,
      el('p', { class: 'n', text: 'n = ' + migraine.length + ' migraine days of ' + buckets.length + ' (a migraine day is any day an episode covers).' }),
      el('details', {}, el('summary', {}, 'Migraine days as text'), el('p', { text: list || 'None.' })));
  }

  function monthsPanel(months, effect) {
    const buckets = months.buckets || [];
    const baseline = effect.baseline ? effect.baseline.monthlyMigraineDays : null;
    const bars = buckets.map((b) => ({ label: MONTHS[parseDay(b.start).getUTCMonth()], value: b.migraineDays, second: b.meanIntensity }));
    return el('section', { class: 'panel', 'aria-labelledby': 'months-title' },
      el('h2', { id: 'months-title', text: 'Migraine days and intensity by month' }),
      barChart(bars, 'Migraine days per month' + (baseline === null ? '' : ', baseline MMD ' + fmt(baseline)) + '; the line is the mean peak intensity',
        { baseline, line: true, id: 'months-chart' }),
      el('p', { class: 'n', text: 'Bars: migraine days per calendar month. Line: mean peak intensity (0–10, right scale) of the episodes starting that month.' +
        (baseline === null ? '' : ' Dashed: the baseline MMD (' + fmt(baseline) + ') before the first massage session.') }),
      el('details', {}, el('summary', {}, 'Show as a table'),
        table('Per month (n = episodes)', ['Month', 'Migraine days', 'Episodes', 'Mean intensity', 'Sessions'],
          buckets.map((b) => [monthLabel(b.start), fmt(b.migraineDays), fmt(b.episodes), fmt(b.meanIntensity), fmt(b.sessions)]), 'months-table')),
      el('p', { class: 'n', text: 'Trend: ' + fmt(months.trend.migraineDaysSlope) + ' migraine days per month (least squares).' }));
  }

  function medicationPanel(s) {
    const items = s.medicationOveruse || [];
    const rows = items.map((m) => [words(m.class), fmt(m.days), fmt(m.daysPer30), m.threshold === null ? 'none' : fmt(m.threshold),
      m.exceeded ? el('span', { class: 'flag', text: 'at or over threshold' }) : 'below']);
    return el('section', { class: 'panel', 'aria-labelledby': 'med-title' },
      el('h2', { id: 'med-title', text: 'Medication days' }),
      el('p', {}, el('strong', { id: 'medication-days', text: fmt(s.medicationDays) }), ' days with acute medication in the last ' + fmt(s.days) + ' days.'),
      items.length ? table('Per class, against the ICHD-3 8.2 overuse thresholds (n = ' + fmt(s.days) + ' days)',
        ['Class', 'Days', 'Per 30 days', 'Threshold', 'Overuse'], rows, 'medication-table') : el('p', { class: 'muted', text: 'No medication recorded.' }));
  }

  function effectPanel(e) {
    const section = el('section', { class: 'panel', 'aria-labelledby': 'effect-title' }, el('h2', { id: 'effect-title', text: 'Massage effect' }));
    if (!e.firstSessionAt) {
      section.append(el('p', { class: 'muted', text: 'No massage session recorded yet.' }));
      return section;
    }
    const b = e.baseline;
    const f = e.followUp;
    section.append(barChart([
      { label: 'Baseline', value: b.monthlyMigraineDays },
      { label: 'Follow-up', value: f.monthlyMigraineDays },
    ], 'Monthly migraine days: baseline ' + fmt(b.monthlyMigraineDays) + ', follow-up ' + fmt(f.monthlyMigraineDays), { id: 'effect-chart', compact: true }));
    section.append(table('Before and after the first session (' + e.firstSessionAt.slice(0, 10) + ')', ['', 'Baseline', 'Follow-up'], [
      ['Window', b.from + ' – ' + lastDay(b.to), f.from + ' – ' + lastDay(f.to)],
      ['Days (n)', fmt(b.days), fmt(f.days)],
      ['Migraine days', fmt(b.migraineDays), fmt(f.migraineDays)],
      ['Monthly migraine days', fmt(b.monthlyMigraineDays), fmt(f.monthlyMigraineDays)],
      ['Mean peak intensity', fmt(b.meanIntensity), fmt(f.meanIntensity)],
    ], 'effect-table'));
    section.append(el('p', {}, 'MMD change ', el('strong', { id: 'mmd-change', text: fmt(e.mmdChange) }),
      e.mmdPercentChange === null ? '' : ' (' + fmt(e.mmdPercentChange) + ' %)', '; 50 % responder: ' + (e.responder50 === null ? 'not computable' : e.responder50 ? 'yes' : 'no') + '.'));
    const techniques = e.byTechnique || [];
    if (techniques.length) {
      section.append(el('h3', { text: 'Pain drop by technique' }));
      section.append(barChart(techniques.map((t) => ({ label: words(t.technique), value: t.meanPainDrop || 0 })), 'Mean pain drop (before − after) by technique', { compact: true }));
      section.append(table('n = sessions of the technique since the first session', ['Technique', 'Sessions', 'Mean pain drop', 'Mean stress drop'],
        techniques.map((t) => [words(t.technique), fmt(t.sessions), fmt(t.meanPainDrop), fmt(t.meanStressDrop)]), 'technique-table'));
    }
    return section;
  }

  function episodesPanel(list) {
    const rows = (list.items || []).map((e) => [e.startedAt.slice(0, 16).replace('T', ' ') + ' UTC', fmt(e.intensity),
      (e.medications || []).map((m) => m.name).join(', ') || '–', (e.triggers || []).map(words).join(', ') || '–']);
    return el('section', { class: 'panel', 'aria-labelledby': 'ep-title' }, el('h2', { id: 'ep-title', text: 'Recent episodes' }),
      rows.length ? table('The latest ' + rows.length, ['Started', 'Intensity', 'Medication', 'Triggers'], rows, 'episodes-table')
        : el('p', { class: 'muted', text: 'No episodes yet.' }));
  }

  function sessionsPanel(list) {
    const rows = (list.items || []).map((s) => [s.startedAt.slice(0, 10), s.kind, (s.techniques || []).map(words).join(', '),
      fmt(s.durationMinutes), s.painBefore === null || s.painBefore === undefined ? '–' : fmt(s.painBefore) + ' → ' + fmt(s.painAfter)]);
    return el('section', { class: 'panel', 'aria-labelledby': 'ses-title' }, el('h2', { id: 'ses-title', text: 'Recent sessions' }),
      rows.length ? table('The latest ' + rows.length, ['Date', 'Kind', 'Techniques', 'Minutes', 'Pain'], rows, 'sessions-table')
        : el('p', { class: 'muted', text: 'No sessions yet.' }));
  }

  // ---- Tables and charts ----

  function table(caption, headers, rows, id) {
    const numeric = headers.map((_, i) => i > 0 && rows.length > 0 && rows.every((r) => typeof r[i] === 'string' && /^[-–\d.]/.test(r[i])));
    return el('div', { class: 'scroll' }, el('table', { id: id || null },
      el('caption', { text: caption }),
      el('thead', {}, el('tr', {}, headers.map((h, i) => el('th', { scope: 'col', class: numeric[i] ? 'num' : null, text: h })))),
      el('tbody', {}, rows.map((row) => el('tr', {}, row.map((cell, i) => i === 0
        ? el('th', { scope: 'row' }, cell)
        : el('td', { class: numeric[i] ? 'num' : null }, cell)))))));
  }

  /** Bars (with an optional line on a 0–10 right scale and a dashed baseline), labelled with their values. */
  function barChart(items, label, options = {}) {
    const width = 520;
    const height = options.compact ? 160 : 230;
    const left = 30, right = options.line ? 30 : 8, top = 16, bottom = 34;
    const values = items.map((i) => i.value || 0);
    const top0 = Math.max(4, ...values, options.baseline || 0);
    const max = Math.ceil(top0);
    const plot = height - top - bottom;
    const y = (v) => top + plot - (v / max) * plot;
    const slot = (width - left - right) / Math.max(1, items.length);
    const chart = svg('svg', { class: 'chart', viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': label, id: options.id || null });
    const step = Math.max(1, Math.ceil(max / 4));
    for (let t = 0; t <= max; t += step) {
      chart.append(svg('line', { class: 'axis', x1: left, x2: width - right, y1: y(t), y2: y(t) }));
      chart.append(svg('text', { x: left - 4, y: y(t) + 4, 'text-anchor': 'end' }, String(t)));
    }
    const points = [];
    items.forEach((item, i) => {
      const v = item.value || 0;
      const x = left + i * slot + slot * 0.15;
      chart.append(svg('rect', { class: 'bar', x, y: y(v), width: slot * 0.7, height: Math.max(0, y(0) - y(v)) }));
      chart.append(svg('text', { x: x + slot * 0.35, y: y(v) - 3, 'text-anchor': 'middle' }, fmt(item.value)));
      const name = item.label.length > 12 ? item.label.slice(0, 11) + '…' : item.label;
      chart.append(svg('text', { x: x + slot * 0.35, y: height - bottom + 14, 'text-anchor': 'middle' }, name));
      if (options.line && item.second !== null && item.second !== undefined) {
        points.push([x + slot * 0.35, top + plot - (item.second / 10) * plot]);
      }
    });
    if (options.line) {
      for (let t = 0; t <= 10; t += 5) {
        chart.append(svg('text', { x: width - right + 4, y: top + plot - (t / 10) * plot + 4 }, String(t)));
      }
      if (points.length > 1) chart.append(svg('polyline', { class: 'line', points: points.map((p) => p.join(',')).join(' ') }));
      points.forEach(([px, py]) => chart.append(svg('circle', { class: 'dot', cx: px, cy: py, r: 3 })));
    }
    if (options.baseline !== null && options.baseline !== undefined) {
      chart.append(svg('line', { class: 'baseline', x1: left, x2: width - right, y1: y(options.baseline), y2: y(options.baseline) }));
      chart.append(svg('text', { x: width - right - 2, y: y(options.baseline) - 4, 'text-anchor': 'end' }, 'baseline ' + fmt(options.baseline)));
    }
    return el('div', { class: 'scroll' }, chart);
  }

  // ---- The printable report ----

  async function openReport(id) {
    const button = $('open-report');
    button.disabled = true;
    try {
      const response = await fetch('/v1/patients/' + id + '/report', {
        headers: { Authorization: 'Bearer ' + token() }, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
      });
      if (!response.ok) throw new ApiError(response.status, 'The report could not be made (' + response.status + ').');
      const blob = new Blob([await response.text()], { type: 'text/html' });
      const url = URL.createObjectURL(blob);
      // A blob keeps the report off any address bar history and needs no token in a URL.
      const opened = window.open(url, '_blank');
      if (opened) opened.opener = null;
      else announce('The report window was blocked: allow pop-ups for this page.');
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (error) {
      announce(error.message);
    } finally {
      button.disabled = false;
    }
  }

  // ---- Start ----

  document.addEventListener('DOMContentLoaded', () => {
    $('signin-form').addEventListener('submit', signIn);
    $('signout').addEventListener('click', () => signOut('Signed out: the token was removed from this tab.'));
    window.addEventListener('hashchange', () => { if (caller) route(); });
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') poll(); });
    if (token()) start();
    else $('token').focus();
  });
})();
