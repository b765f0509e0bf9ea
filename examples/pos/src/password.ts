/**
 * A password strength hint — guidance, not a guarantee. Scores length and variety, and marks down
 * the patterns people actually use (repeats, sequences, common words). Argon2id makes every guess
 * slow, but the password is still the only thing standing between a stolen tablet and the data.
 */
export type Strength = { score: 0 | 1 | 2 | 3 | 4; label: string; hint: string };

const COMMON = ['password', 'passwort', 'qwerty', 'azerty', 'letmein', 'welcome', 'admin', 'shop', 'store', 'till', 'cafe', 'coffee', '123456', 'iloveyou', 'monkey', 'dragon'];

export const MIN_PASSWORD_LENGTH = 8;

export function passwordStrength(pw: string): Strength {
  if (pw.length === 0) return { score: 0, label: '', hint: `At least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words work well.` };
  let pool = 0;
  if (/[a-z]/.test(pw)) pool += 26;
  if (/[A-Z]/.test(pw)) pool += 26;
  if (/\d/.test(pw)) pool += 10;
  if (/[^a-zA-Z\d]/.test(pw)) pool += 33;
  let bits = pw.length * Math.log2(Math.max(pool, 2));
  const lower = pw.toLowerCase();
  if (COMMON.some((w) => lower.includes(w))) bits -= 20;
  if (/(.)\1{2,}/.test(pw)) bits -= 10;
  if (/(0123|1234|2345|3456|4567|5678|6789|abcd|bcde|cdef|qwer|asdf)/i.test(pw)) bits -= 10;
  if (pw.length < MIN_PASSWORD_LENGTH) return { score: 1, label: 'Too short', hint: `Use at least ${MIN_PASSWORD_LENGTH} characters.` };
  if (bits < 40) return { score: 1, label: 'Weak', hint: 'Easy to guess. Add words or characters.' };
  if (bits < 60) return { score: 2, label: 'Fair', hint: 'Longer is stronger: add another word.' };
  if (bits < 80) return { score: 3, label: 'Good', hint: 'Write it down somewhere safe: it cannot be recovered.' };
  return { score: 4, label: 'Strong', hint: 'Keep it safe: without it the data cannot be opened.' };
}
