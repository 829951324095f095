// Steps repeated by the journeys, written as a person would do them.
import assert from 'node:assert/strict';

export { assert };

export async function signIn(page, email, password) {
  await page.goto('/connexion');
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Se connecter' }).click()]);
  await page.waitForLoadState('load');
}

export async function signOut(page) {
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForURL(/\/connexion/);
}

export async function mainText(page) {
  return (await page.locator('main').innerText()).replace(/\s+/g, ' ');
}

export async function submit(page, buttonName) {
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: buttonName }).click()]);
  await page.waitForLoadState('load');
}
