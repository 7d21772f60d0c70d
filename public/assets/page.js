import { initLanguage } from './i18n.js';

// The header is shared by every page; mark the link to this one.
document.querySelector(`.bar nav a[href="${location.pathname}"]`)?.setAttribute('aria-current', 'page');
initLanguage();
