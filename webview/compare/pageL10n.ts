/**
 * Imported first by main.ts: configures `l10n.t` with the bundle the host
 * wrote into the page, before any other module (or main.ts itself) computes
 * a translated string. Imports run in order, so this must stay the first one.
 */
import { L10N_ELEMENT_ID, usePageBundle } from '../../src/shared/l10n';

usePageBundle(document.getElementById(L10N_ELEMENT_ID)?.textContent);
