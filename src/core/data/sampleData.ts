/**
 * Generated sample data (deterministic for a given seed, using
 * `src/core/random.ts`), for `sample-data/` (`npm run generate-sample-data`)
 * and for the sample workspace of the Get Started walkthrough:
 *
 * - `dates.tsv`: human-written dates in many formats → ISO 8601 dates
 *   ("thursday, 18 january 2019" → "2019-01-18"); suits the char tokenizer.
 * - `en-fr.tsv`: English → French sentences from a small grammar with
 *   gender/number agreement, adjective reordering ("the red car" → "la voiture
 *   rouge"), elision, contraction ("de le" → "du"), three tenses and negation
 *   ("ne … pas", "pas de"), so attention alignments are visibly non-diagonal.
 * - `README.md`, `dates.config.json`, `en-fr.config.json`.
 *
 * `scripts/generate-sample-data.ts` writes `sample-data/`;
 * {@link sampleWorkspaceFiles} is what "Seq2Seq: Create Sample Workspace…"
 * writes. No `vscode` import.
 */

import { promises as fs } from 'fs';
import * as path from 'path';
import { Random } from '../random';

export const DEFAULT_SEED = 2024;
export const DATE_PAIRS = 20000;
export const EN_FR_PAIRS = 20000;

// ---------------------------------------------------------------------------
// Dates

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface DateParts {
  y: number;
  m: number; // 1-12
  d: number; // 1-31
  wd: number; // 0 = Sunday
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const abbr = (s: string): string => s.slice(0, 3);
const ordinal = (d: number): string => {
  const r100 = d % 100;
  const suffix = r100 >= 11 && r100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][d % 10] ?? 'th';
  return `${d}${suffix}`;
};
/** Two-digit year with apostrophe; '50–'99 mean 1950–1999 and '00–'49 mean 2000–2049. */
const shortYear = (y: number): string => `'${pad2(y % 100)}`;

/** Date formats, each a function of the date parts. Purely numeric formats are day-first only (no US m/d ambiguity). */
const DATE_FORMATS: ((p: DateParts) => string)[] = [
  (p) => `${p.d} ${abbr(MONTHS[p.m - 1])} ${p.y}`,
  (p) => `${MONTHS[p.m - 1]} ${p.d}, ${p.y}`,
  (p) => `${pad2(p.d)}/${pad2(p.m)}/${p.y}`,
  (p) => `${WEEKDAYS[p.wd]}, ${p.d} ${MONTHS[p.m - 1]} ${p.y}`,
  (p) => `${abbr(MONTHS[p.m - 1])} ${p.d} ${shortYear(p.y)}`,
  (p) => `${p.d} ${MONTHS[p.m - 1]} ${p.y}`,
  (p) => `${abbr(WEEKDAYS[p.wd])} ${p.d} ${abbr(MONTHS[p.m - 1])} ${p.y}`,
  (p) => `${p.y}/${pad2(p.m)}/${pad2(p.d)}`,
  (p) => `${p.d}.${p.m}.${p.y}`,
  (p) => `the ${ordinal(p.d)} of ${MONTHS[p.m - 1]} ${p.y}`,
  (p) => `${MONTHS[p.m - 1]} ${ordinal(p.d)}, ${p.y}`,
  (p) => `${pad2(p.d)}-${abbr(MONTHS[p.m - 1])}-${p.y}`,
  (p) => `${WEEKDAYS[p.wd]}, ${MONTHS[p.m - 1]} ${p.d}, ${p.y}`,
  (p) => `${p.d} ${abbr(MONTHS[p.m - 1])}. ${p.y}`,
  (p) => `${pad2(p.d)}.${pad2(p.m)}.${shortYear(p.y).slice(1)}`,
  (p) => `${abbr(MONTHS[p.m - 1])} ${p.d}, ${p.y}`,
  (p) => `${ordinal(p.d)} ${MONTHS[p.m - 1]} ${p.y}`,
  (p) => `${abbr(WEEKDAYS[p.wd])}, ${abbr(MONTHS[p.m - 1])} ${ordinal(p.d)} ${shortYear(p.y)}`,
];

function applyCase(s: string, style: number): string {
  if (style === 1) return s.toLowerCase();
  if (style === 2) return s.toUpperCase();
  return s;
}

/** `n` distinct (human date, ISO date) pairs for dates from 1950-01-01 to 2049-12-31. */
export function generateDates(rng: Random, n: number): [string, string][] {
  const start = Date.UTC(1950, 0, 1);
  const days = Math.round((Date.UTC(2049, 11, 31) - start) / 86400000) + 1;
  const seen = new Set<string>();
  const out: [string, string][] = [];
  while (out.length < n) {
    const date = new Date(start + rng.int(days) * 86400000);
    const p: DateParts = { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate(), wd: date.getUTCDay() };
    const human = applyCase(rng.pick(DATE_FORMATS)(p), rng.pick([0, 0, 1, 1, 2]));
    if (seen.has(human)) continue;
    seen.add(human);
    out.push([human, `${p.y}-${pad2(p.m)}-${pad2(p.d)}`]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// English → French grammar

type Gender = 'm' | 'f';
type NounKind = 'person' | 'animal' | 'thing' | 'food';

interface Noun {
  en: string;
  enPl: string;
  fr: string;
  frPl: string;
  g: Gender;
  kind: NounKind;
}

const N = (en: string, enPl: string, fr: string, frPl: string, g: Gender, kind: NounKind): Noun => ({ en, enPl, fr, frPl, g, kind });

const NOUNS: Noun[] = [
  N('man', 'men', 'homme', 'hommes', 'm', 'person'),
  N('woman', 'women', 'femme', 'femmes', 'f', 'person'),
  N('boy', 'boys', 'garçon', 'garçons', 'm', 'person'),
  N('girl', 'girls', 'fille', 'filles', 'f', 'person'),
  N('teacher', 'teachers', 'professeur', 'professeurs', 'm', 'person'),
  N('friend', 'friends', 'ami', 'amis', 'm', 'person'),
  N('child', 'children', 'enfant', 'enfants', 'm', 'person'),
  N('dog', 'dogs', 'chien', 'chiens', 'm', 'animal'),
  N('cat', 'cats', 'chat', 'chats', 'm', 'animal'),
  N('bird', 'birds', 'oiseau', 'oiseaux', 'm', 'animal'),
  N('horse', 'horses', 'cheval', 'chevaux', 'm', 'animal'),
  N('mouse', 'mice', 'souris', 'souris', 'f', 'animal'),
  N('car', 'cars', 'voiture', 'voitures', 'f', 'thing'),
  N('house', 'houses', 'maison', 'maisons', 'f', 'thing'),
  N('book', 'books', 'livre', 'livres', 'm', 'thing'),
  N('table', 'tables', 'table', 'tables', 'f', 'thing'),
  N('chair', 'chairs', 'chaise', 'chaises', 'f', 'thing'),
  N('tree', 'trees', 'arbre', 'arbres', 'm', 'thing'),
  N('letter', 'letters', 'lettre', 'lettres', 'f', 'thing'),
  N('door', 'doors', 'porte', 'portes', 'f', 'thing'),
  N('hat', 'hats', 'chapeau', 'chapeaux', 'm', 'thing'),
  N('bike', 'bikes', 'vélo', 'vélos', 'm', 'thing'),
  N('flower', 'flowers', 'fleur', 'fleurs', 'f', 'thing'),
  N('bag', 'bags', 'sac', 'sacs', 'm', 'thing'),
  N('key', 'keys', 'clé', 'clés', 'f', 'thing'),
  N('apple', 'apples', 'pomme', 'pommes', 'f', 'food'),
  N('cake', 'cakes', 'gâteau', 'gâteaux', 'm', 'food'),
  N('orange', 'oranges', 'orange', 'oranges', 'f', 'food'),
  N('egg', 'eggs', 'œuf', 'œufs', 'm', 'food'),
];

interface Adjective {
  en: string;
  /** [masculine singular, feminine singular, masculine plural, feminine plural] */
  fr: [string, string, string, string];
  /** Placed before the noun in French (size and beauty adjectives). */
  pre: boolean;
  /** Colour (placed after a size adjective in English: "big red car"). */
  colour: boolean;
  kinds: NounKind[];
}

const A = (en: string, fr: [string, string, string, string], pre: boolean, colour: boolean, kinds: NounKind[]): Adjective => ({ en, fr, pre, colour, kinds });
const CONCRETE: NounKind[] = ['animal', 'thing', 'food'];
const ALL: NounKind[] = ['person', 'animal', 'thing', 'food'];
const ANIMATE: NounKind[] = ['person', 'animal'];

const ADJECTIVES: Adjective[] = [
  A('red', ['rouge', 'rouge', 'rouges', 'rouges'], false, true, CONCRETE),
  A('black', ['noir', 'noire', 'noirs', 'noires'], false, true, CONCRETE),
  A('green', ['vert', 'verte', 'verts', 'vertes'], false, true, CONCRETE),
  A('white', ['blanc', 'blanche', 'blancs', 'blanches'], false, true, CONCRETE),
  A('blue', ['bleu', 'bleue', 'bleus', 'bleues'], false, true, ['thing']),
  A('yellow', ['jaune', 'jaune', 'jaunes', 'jaunes'], false, true, ['thing', 'food', 'animal']),
  A('small', ['petit', 'petite', 'petits', 'petites'], true, false, ALL),
  A('big', ['grand', 'grande', 'grands', 'grandes'], true, false, ALL),
  A('pretty', ['joli', 'jolie', 'jolis', 'jolies'], true, false, ALL),
  A('young', ['jeune', 'jeune', 'jeunes', 'jeunes'], true, false, ANIMATE),
  A('happy', ['heureux', 'heureuse', 'heureux', 'heureuses'], false, false, ANIMATE),
  A('tired', ['fatigué', 'fatiguée', 'fatigués', 'fatiguées'], false, false, ANIMATE),
  A('heavy', ['lourd', 'lourde', 'lourds', 'lourdes'], false, false, ['thing']),
];

interface Verb {
  en: [string, string, string]; // base, 3rd singular, past
  frPres: [string, string, string, string, string, string];
  frFutStem: string;
  frPp: string;
  objects: NounKind[];
}

const V = (en: [string, string, string], frPres: Verb['frPres'], frFutStem: string, frPp: string, objects: NounKind[]): Verb => ({ en, frPres, frFutStem, frPp, objects });

const VERBS: Verb[] = [
  V(['see', 'sees', 'saw'], ['vois', 'vois', 'voit', 'voyons', 'voyez', 'voient'], 'verr', 'vu', ALL),
  V(['like', 'likes', 'liked'], ['aime', 'aimes', 'aime', 'aimons', 'aimez', 'aiment'], 'aimer', 'aimé', ALL),
  V(['want', 'wants', 'wanted'], ['veux', 'veux', 'veut', 'voulons', 'voulez', 'veulent'], 'voudr', 'voulu', CONCRETE),
  V(['buy', 'buys', 'bought'], ['achète', 'achètes', 'achète', 'achetons', 'achetez', 'achètent'], 'achèter', 'acheté', CONCRETE),
  V(['find', 'finds', 'found'], ['trouve', 'trouves', 'trouve', 'trouvons', 'trouvez', 'trouvent'], 'trouver', 'trouvé', ALL),
  V(['look for', 'looks for', 'looked for'], ['cherche', 'cherches', 'cherche', 'cherchons', 'cherchez', 'cherchent'], 'chercher', 'cherché', ALL),
  V(['eat', 'eats', 'ate'], ['mange', 'manges', 'mange', 'mangeons', 'mangez', 'mangent'], 'manger', 'mangé', ['food']),
  V(['take', 'takes', 'took'], ['prends', 'prends', 'prend', 'prenons', 'prenez', 'prennent'], 'prendr', 'pris', ['thing', 'food']),
  V(['have', 'has', 'had'], ['ai', 'as', 'a', 'avons', 'avez', 'ont'], 'aur', 'eu', CONCRETE),
];
const AVOIR = VERBS[VERBS.length - 1];
const FUTURE_ENDINGS = ['ai', 'as', 'a', 'ons', 'ez', 'ont'];
const ETRE = {
  pres: ['suis', 'es', 'est', 'sommes', 'êtes', 'sont'],
  imp: ['étais', 'étais', 'était', 'étions', 'étiez', 'étaient'],
  fut: ['serai', 'seras', 'sera', 'serons', 'serez', 'seront'],
};

interface Preposition {
  en: string;
  fr: string[];
  /** What the place noun may be. */
  places: NounKind[];
}
const PREPOSITIONS: Preposition[] = [
  { en: 'in', fr: ['dans'], places: ['thing'] },
  { en: 'on', fr: ['sur'], places: ['thing'] },
  { en: 'under', fr: ['sous'], places: ['thing'] },
  { en: 'behind', fr: ['derrière'], places: ['thing', 'person', 'animal'] },
  { en: 'in front of', fr: ['devant'], places: ['thing', 'person', 'animal'] },
  { en: 'near', fr: ['près', 'de'], places: ['thing', 'person', 'animal'] },
  { en: 'next to', fr: ['à', 'côté', 'de'], places: ['thing', 'person', 'animal'] },
];

/** Person index 0–5 = je, tu, il/elle, nous, vous, ils/elles. */
interface Subject {
  en: string[];
  fr: string[];
  person: number;
  /** English agreement: 3rd singular takes "-s"/"does"/"is"/"was". */
  en3s: boolean;
  enBe: [string, string]; // present, past
  g: Gender;
  plural: boolean;
}

type Det = 'the' | 'a' | 'this' | 'my';

interface NounPhrase {
  en: string[];
  fr: string[];
  noun: Noun;
  plural: boolean;
  indefinite: boolean;
}

const startsWithVowel = (w: string): boolean => /^[aeiouyhàâéèêîôûœ]/i.test(w);

/**
 * Builds a noun phrase. French articles are written in full ("le", "de le")
 * and fixed up by {@link frenchSurface} (elision, contraction).
 */
function nounPhrase(rng: Random, kinds: NounKind[], opts: { allowIndefinite: boolean; negated?: boolean }): NounPhrase {
  const noun = rng.pick(NOUNS.filter((n) => kinds.includes(n.kind)));
  const plural = rng.bernoulli(0.35);
  const dets: Det[] = opts.allowIndefinite ? ['the', 'the', 'the', 'a', 'a', 'this', 'my'] : ['the', 'the', 'the', 'this', 'my'];
  // "my man" / "my girl" read oddly; keep possessives for other nouns.
  const det = rng.pick(['man', 'woman', 'boy', 'girl'].includes(noun.en) ? dets.filter((d) => d !== 'my') : dets);
  const fits = ADJECTIVES.filter((a) => a.kinds.includes(noun.kind));
  let pre: Adjective | undefined;
  let post: Adjective | undefined;
  const r = rng.next();
  if (r < 0.3) {
    const a = rng.pick(fits);
    if (a.pre) pre = a;
    else post = a;
  } else if (r < 0.42) {
    const pres = fits.filter((a) => a.pre);
    const posts = fits.filter((a) => !a.pre);
    if (pres.length > 0 && posts.length > 0) {
      pre = rng.pick(pres);
      post = rng.pick(posts);
    }
  }
  const gi = (noun.g === 'm' ? 0 : 1) + (plural ? 2 : 0);
  // English: determiner + adjectives (size before colour/state) + noun.
  const enAdj = [pre?.en, post?.en].filter((x): x is string => x !== undefined);
  const enNoun = plural ? noun.enPl : noun.en;
  const firstEn = enAdj[0] ?? enNoun;
  let enDet: string[];
  if (det === 'the') enDet = ['the'];
  else if (det === 'this') enDet = [plural ? 'these' : 'this'];
  else if (det === 'my') enDet = ['my'];
  else enDet = plural ? [] : [/^[aeiou]/i.test(firstEn) ? 'an' : 'a'];
  // French: determiner + pre-nominal adjective + noun + post-nominal adjective.
  const frNoun = plural ? noun.frPl : noun.fr;
  const frFirst = pre ? pre.fr[gi] : frNoun;
  let frDet: string[];
  const indefinite = det === 'a';
  if (det === 'the') frDet = [plural ? 'les' : noun.g === 'm' ? 'le' : 'la'];
  else if (det === 'this') frDet = [plural ? 'ces' : noun.g === 'f' ? 'cette' : startsWithVowel(frFirst) ? 'cet' : 'ce'];
  else if (det === 'my') frDet = [plural ? 'mes' : noun.g === 'm' || startsWithVowel(frFirst) ? 'mon' : 'ma'];
  else if (opts.negated) frDet = ['de']; // "pas de voiture", "pas de voitures"
  else if (plural) frDet = [pre ? 'de' : 'des']; // "de petites voitures"
  else frDet = [noun.g === 'm' ? 'un' : 'une'];
  const fr = [...frDet, ...(pre ? [pre.fr[gi]] : []), frNoun, ...(post ? [post.fr[gi]] : [])];
  return { en: [...enDet, ...enAdj, enNoun], fr, noun, plural, indefinite };
}

const PRONOUNS: Subject[] = [
  { en: ['I'], fr: ['je'], person: 0, en3s: false, enBe: ['am', 'was'], g: 'm', plural: false },
  { en: ['you'], fr: ['vous'], person: 4, en3s: false, enBe: ['are', 'were'], g: 'm', plural: true },
  { en: ['he'], fr: ['il'], person: 2, en3s: true, enBe: ['is', 'was'], g: 'm', plural: false },
  { en: ['she'], fr: ['elle'], person: 2, en3s: true, enBe: ['is', 'was'], g: 'f', plural: false },
  { en: ['we'], fr: ['nous'], person: 3, en3s: false, enBe: ['are', 'were'], g: 'm', plural: true },
  { en: ['they'], fr: ['ils'], person: 5, en3s: false, enBe: ['are', 'were'], g: 'm', plural: true },
];

function subjectFromNp(np: NounPhrase): Subject {
  return {
    en: np.en,
    fr: np.fr,
    person: np.plural ? 5 : 2,
    en3s: !np.plural,
    enBe: np.plural ? ['are', 'were'] : ['is', 'was'],
    g: np.noun.g,
    plural: np.plural,
  };
}

type Tense = 'present' | 'past' | 'future';

/** Elision, contraction "de le"→"du", "de les"→"des", then joins words. */
export function frenchSurface(words: string[]): string {
  // Pass 1: elision (je/le/la/ne/de + vowel or mute h → j'/l'/n'/d', glued to the next word).
  const elided: string[] = [];
  let carry = '';
  for (let i = 0; i < words.length; i++) {
    const cur = carry + words[i];
    carry = '';
    const next = words[i + 1];
    if (next !== undefined && startsWithVowel(next) && ['je', 'le', 'la', 'ne', 'de'].includes(cur)) {
      carry = cur[0] + "'";
      continue;
    }
    elided.push(cur);
  }
  // Pass 2: contraction of de + le / les.
  const out: string[] = [];
  for (let i = 0; i < elided.length; i++) {
    if (elided[i] === 'de' && elided[i + 1] === 'le') {
      out.push('du');
      i++;
    } else if (elided[i] === 'de' && elided[i + 1] === 'les') {
      out.push('des');
      i++;
    } else out.push(elided[i]);
  }
  return out.join(' ');
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** English auxiliary for negation, optionally contracted like in everyday text. */
function enNegAux(rng: Random, full: string, short: string): string[] {
  return rng.bernoulli(0.3) ? [short] : full.split(' ');
}

function transitive(rng: Random, subj: Subject, tense: Tense, negated: boolean): { en: string[]; fr: string[] } {
  const verb = rng.pick(VERBS);
  const obj = nounPhrase(rng, verb.objects, { allowIndefinite: true, negated });
  const p = subj.person;
  let en: string[];
  let frVerb: string[];
  if (tense === 'present') {
    en = negated ? [...enNegAux(rng, subj.en3s ? 'does not' : 'do not', subj.en3s ? "doesn't" : "don't"), verb.en[0]] : [subj.en3s ? verb.en[1] : verb.en[0]];
    frVerb = negated ? ['ne', verb.frPres[p], 'pas'] : [verb.frPres[p]];
  } else if (tense === 'past') {
    en = negated ? [...enNegAux(rng, 'did not', "didn't"), verb.en[0]] : [verb.en[2]];
    frVerb = negated ? ['ne', AVOIR.frPres[p], 'pas', verb.frPp] : [AVOIR.frPres[p], verb.frPp];
  } else {
    en = negated ? [...enNegAux(rng, 'will not', "won't"), verb.en[0]] : ['will', verb.en[0]];
    const fut = verb.frFutStem + FUTURE_ENDINGS[p];
    frVerb = negated ? ['ne', fut, 'pas'] : [fut];
  }
  return { en: [...subj.en, ...en.join(' ').split(' '), ...obj.en], fr: [...subj.fr, ...frVerb, ...obj.fr] };
}

function copula(rng: Random, subj: Subject, tense: Tense, negated: boolean): { en: string[]; fr: string[] } {
  const p = subj.person;
  let en: string[];
  let fr: string[];
  if (tense === 'present') {
    const be = subj.enBe[0];
    en = negated ? (rng.bernoulli(0.3) && be !== 'am' ? [`${be}n't`] : [be, 'not']) : [be];
    fr = negated ? ['ne', ETRE.pres[p], 'pas'] : [ETRE.pres[p]];
  } else if (tense === 'past') {
    const be = subj.enBe[1];
    en = negated ? (rng.bernoulli(0.3) ? [`${be}n't`] : [be, 'not']) : [be];
    fr = negated ? ['ne', ETRE.imp[p], 'pas'] : [ETRE.imp[p]];
  } else {
    en = negated ? [...enNegAux(rng, 'will not', "won't"), 'be'] : ['will', 'be'];
    fr = negated ? ['ne', ETRE.fut[p], 'pas'] : [ETRE.fut[p]];
  }
  return { en: [...subj.en, ...en.join(' ').split(' ')], fr: [...subj.fr, ...fr] };
}

/** One random (English, French) sentence pair. */
export function generateEnFrPair(rng: Random): [string, string] {
  const tense: Tense = rng.pick(['present', 'present', 'past', 'future']);
  const negated = rng.bernoulli(0.3);
  const r = rng.next();
  let en: string[];
  let fr: string[];
  if (r < 0.55) {
    const subj = rng.bernoulli(0.5) ? rng.pick(PRONOUNS) : subjectFromNp(nounPhrase(rng, ANIMATE, { allowIndefinite: false }));
    ({ en, fr } = transitive(rng, subj, tense, negated));
  } else if (r < 0.75) {
    // Predicate adjective, agreeing with the subject: "the cars are red" → "les voitures sont rouges".
    const subj =
      rng.bernoulli(0.3)
        ? rng.pick(PRONOUNS.filter((s) => s.en[0] === 'he' || s.en[0] === 'she' || s.en[0] === 'they'))
        : subjectFromNp(nounPhrase(rng, ALL, { allowIndefinite: false }));
    const kinds: NounKind[] = subj.fr[0] === 'il' || subj.fr[0] === 'elle' || subj.fr[0] === 'ils' ? ['person'] : [];
    const noun = NOUNS.find((n) => subj.en.includes(n.en) || subj.en.includes(n.enPl));
    const adj = rng.pick(ADJECTIVES.filter((a) => a.kinds.some((k) => (noun ? k === noun.kind : kinds.includes(k)))));
    const gi = (subj.g === 'm' ? 0 : 1) + (subj.plural ? 2 : 0);
    const c = copula(rng, subj, tense, negated);
    en = [...c.en, adj.en];
    fr = [...c.fr, adj.fr[gi]];
  } else {
    // Location: "the cat is under the table" → "le chat est sous la table".
    const subj = subjectFromNp(nounPhrase(rng, ALL, { allowIndefinite: false }));
    const prep = rng.pick(PREPOSITIONS);
    const place = nounPhrase(rng, prep.places, { allowIndefinite: false });
    const c = copula(rng, subj, tense, negated);
    en = [...c.en, ...prep.en.split(' '), ...place.en];
    fr = [...c.fr, ...prep.fr, ...place.fr];
  }
  return [capitalise(en.join(' ')) + '.', capitalise(frenchSurface(fr)) + '.'];
}

/** `n` pairs with distinct English sides. */
export function generateEnFr(rng: Random, n: number): [string, string][] {
  const seen = new Set<string>();
  const out: [string, string][] = [];
  let attempts = 0;
  while (out.length < n) {
    if (++attempts > n * 50) throw new Error(`the grammar cannot produce ${n} distinct sentences`);
    const pair = generateEnFrPair(rng);
    if (seen.has(pair[0])) continue;
    seen.add(pair[0]);
    out.push(pair);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Files

const toTsv = (pairs: [string, string][]): string => pairs.map(([a, b]) => `${a}\t${b}\n`).join('');

function readme(seed: number, dates: [string, string][], enFr: [string, string][]): string {
  const ex = (pairs: [string, string][], k: number): string =>
    pairs
      .slice(0, k)
      .map(([a, b]) => `| ${a} | ${b} |`)
      .join('\n');
  return `# Sample data

Small generated data sets for trying Seq2Seq Lab without downloading anything.
Everything in this folder is produced by \`scripts/generate-sample-data.ts\`
(seed ${seed}); regenerate it with

    npx tsx scripts/generate-sample-data.ts sample-data --seed ${seed}

The output is deterministic: the same seed gives byte-identical files.

## \`dates.tsv\` — date normalisation (${dates.length} pairs)

Human-written dates in ${DATE_FORMATS.length} formats and three letter cases
(unchanged, lower, UPPER), dates between 1950-01-01 and 2049-12-31, mapped to
ISO 8601. Numeric formats are day-first; two-digit years '50–'99 mean
1950–1999 and '00–'49 mean 2000–2049. Every source line is distinct. Suits
the \`char\` tokenizer; \`dates.config.json\` is ready to use (it is also the
built-in default of \`seq2seq train\` without \`--config\`).

| source | target |
|---|---|
${ex(dates, 8)}

## \`en-fr.tsv\` — toy English → French (${enFr.length} pairs)

Sentences from a small grammar (${NOUNS.length} nouns, ${ADJECTIVES.length} adjectives,
${VERBS.length} verbs plus *to be*, ${PREPOSITIONS.length} prepositions) covering
gender and number agreement (articles, adjectives, predicate adjectives),
French adjective placement (\`the red car\` → \`la voiture rouge\`, but
\`the big car\` → \`la grande voiture\`), elision (\`l'arbre\`, \`j'ai\`),
contraction (\`près du chien\`), present / past (passé composé, imparfait of
*être*) / future tenses, and negation (\`ne … pas\`, \`pas de\` for indefinite
objects). Word order therefore differs between the languages and attention
alignments are not diagonal. Every English line is distinct; each line is
\`English<TAB>French\`. \`en-fr.config.json\` is ready to use.

| source | target |
|---|---|
${ex(enFr, 8)}

## Licence

Generated by the Seq2Seq Lab project; the data carries no third-party
content and is released under the project's MIT licence.
`;
}

/** `$schema` of the configs in `sample-data/` (the repository's schema). */
const SCHEMA_REF = '../schemas/config.schema.json';

const DATES_CONFIG = {
  name: 'dates',
  data: { train: 'dates.tsv', tokenizer: 'char', lowercase: true, maxLength: 40, maxValidSentences: 200 },
  model: { cell: 'gru', attention: 'bahdanau', embeddingSize: 32, hiddenSize: 64, bidirectional: true, bridge: 'both', dropout: 0.1 },
  train: { batchSize: 64, learningRate: 0.002, epochs: 10, maxMinutes: 4, validEvery: 100, stopMetric: 'perplexity', earlyStoppingPatience: 3, minDelta: 0.01 },
};

const EN_FR_CONFIG = {
  name: 'en-fr toy grammar',
  data: { train: 'en-fr.tsv', tokenizer: 'word', lowercase: true, maxLength: 25 },
  model: { cell: 'gru', attention: 'bahdanau', embeddingSize: 64, hiddenSize: 128, bidirectional: true, bridge: 'both', dropout: 0.1 },
  train: { batchSize: 64, learningRate: 0.002, epochs: 15, maxMinutes: 10, validEvery: 200, stopMetric: 'bleu' },
};

/** Both data sets for `seed`, from independent streams (changing one does not change the other). */
function generateBoth(seed: number): { dates: [string, string][]; enFr: [string, string][] } {
  return { dates: generateDates(new Random(seed), DATE_PAIRS), enFr: generateEnFr(new Random(seed + 1), EN_FR_PAIRS) };
}

/**
 * Writes `dates.tsv`, `en-fr.tsv`, `README.md`, `dates.config.json` and
 * `en-fr.config.json` into `outDir` (created if needed).
 * @returns the written file names.
 */
export async function generateSampleData(outDir: string, seed = DEFAULT_SEED): Promise<string[]> {
  const { dates, enFr } = generateBoth(seed);
  await fs.mkdir(outDir, { recursive: true });
  const files: Record<string, string> = {
    'dates.tsv': toTsv(dates),
    'en-fr.tsv': toTsv(enFr),
    'README.md': readme(seed, dates, enFr),
    'dates.config.json': JSON.stringify({ $schema: SCHEMA_REF, ...DATES_CONFIG }, null, 2) + '\n',
    'en-fr.config.json': JSON.stringify({ $schema: SCHEMA_REF, ...EN_FR_CONFIG }, null, 2) + '\n',
  };
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(outDir, name), text, 'utf8');
  return Object.keys(files);
}

/** The walkthrough's sample: the date task (fast to learn), with and without attention. */
const WORKSPACE_DATES_CONFIG = {
  name: 'dates',
  data: { train: 'dates.tsv', tokenizer: 'char', lowercase: true, maxLength: 40, maxValidSentences: 200 },
  model: { cell: 'gru', attention: 'bahdanau', embeddingSize: 32, hiddenSize: 64, bidirectional: true, bridge: 'both', dropout: 0.1 },
  train: { batchSize: 64, learningRate: 0.002, epochs: 10, maxMinutes: 2, validEvery: 100, stopMetric: 'perplexity', earlyStoppingPatience: 3, minDelta: 0.01 },
};

function workspaceReadme(seed: number, dates: number, enFr: number): string {
  return `# Seq2Seq Lab sample workspace

Written by **Seq2Seq: Create Sample Workspace…** (generated data, seed ${seed}).

| file | what it is |
|---|---|
| \`dates.tsv\` | ${dates} pairs: human-written dates → ISO 8601 (\`thursday, 18 january 2019\` → \`2019-01-18\`), learned one character at a time |
| \`dates.seq2seq.json\` | a bidirectional GRU encoder, a GRU decoder with Bahdanau attention, 2 minutes of training |
| \`dates-no-attention.seq2seq.json\` | the same model with \`attention: none\`: the decoder sees the source only through one fixed context vector |
| \`en-fr.tsv\`, \`en-fr.seq2seq.json\` | ${enFr} pairs of a toy English → French grammar whose adjective order differs between the languages |
| \`sentences.txt\` | dates to translate: select a line, then **Seq2Seq: Translate Selection** |

Right-click a \`*.seq2seq.json\` file and choose **Train Seq2Seq Model**, or
run it from the command palette. Runs are written to \`runs/\`.
`;
}

/** Sentences to translate in the walkthrough (dates the model has not seen in these forms). */
export const SAMPLE_SENTENCES = ['Thursday, 18 January 2019', 'the 3rd of March 1997', '25/12/2008', 'sat 7 aug 1965', 'November 30, 2031'];

/**
 * The files of the Get Started walkthrough's sample workspace, by name:
 * `dates.tsv`, `en-fr.tsv`, `README.md`, `dates.seq2seq.json` (Bahdanau
 * attention, 2 minutes), `dates-no-attention.seq2seq.json` (the same model
 * with `attention: none`: one fixed context vector, the bottleneck attention
 * removes), `en-fr.seq2seq.json` and `sentences.txt` (dates to translate).
 * The configs carry no `$schema` (the extension applies its schema to
 * `*.seq2seq.json`).
 */
export function sampleWorkspaceFiles(seed = DEFAULT_SEED): Record<string, string> {
  const { dates, enFr } = generateBoth(seed);
  const json = (o: object) => JSON.stringify(o, null, 2) + '\n';
  return {
    'dates.tsv': toTsv(dates),
    'en-fr.tsv': toTsv(enFr),
    'README.md': workspaceReadme(seed, dates.length, enFr.length),
    'dates.seq2seq.json': json(WORKSPACE_DATES_CONFIG),
    'dates-no-attention.seq2seq.json': json({ ...WORKSPACE_DATES_CONFIG, name: 'dates-no-attention', model: { ...WORKSPACE_DATES_CONFIG.model, attention: 'none' } }),
    'en-fr.seq2seq.json': json(EN_FR_CONFIG),
    'sentences.txt': SAMPLE_SENTENCES.join('\n') + '\n',
  };
}

/**
 * Write the files of {@link sampleWorkspaceFiles} that do not exist yet into
 * `dir` (created if needed); existing files are left alone.
 * @returns the names written and the names kept because they existed
 * @throws Error from the file system (e.g. a read-only folder)
 */
export async function writeSampleWorkspace(dir: string, seed = DEFAULT_SEED): Promise<{ created: string[]; existing: string[] }> {
  await fs.mkdir(dir, { recursive: true });
  const created: string[] = [];
  const existing: string[] = [];
  for (const [name, text] of Object.entries(sampleWorkspaceFiles(seed))) {
    try {
      await fs.writeFile(path.join(dir, name), text, { encoding: 'utf8', flag: 'wx' });
      created.push(name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      existing.push(name);
    }
  }
  return { created, existing };
}
