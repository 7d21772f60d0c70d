import { initLanguage } from './i18n.js';

initLanguage();
