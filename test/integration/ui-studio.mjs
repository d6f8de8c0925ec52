// The Image Studio steps of the UI test (ui.mjs runs them in the same VS Code): a person sets a key, opens the
// panel, types a prompt, sees a partial image and then the result, paints a mask and runs an edit, and finds
// the files in the workspace. Screenshots of the panel in the dark and the light theme.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Width x height of a PNG file, from its IHDR. */
function pngSize(file) {
  const bytes = fs.readFileSync(file);
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

export async function studioSteps({ page, step, shots, workspace, fakeInfo, runCommand, answerQuickInput, waitForFile, explorerRow }) {
  const generated = path.join(workspace, 'assets', 'generated');
  // VS Code puts a webview in an iframe, whose content is in a second one.
  const panel = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  const prompt = 'a lighthouse on a cliff at dusk';
  const result = path.join(generated, 'a-lighthouse-on-a-cliff-at-dusk.png');

  await step('F1 → ImageGen: Set API Key… → OpenAI → the key goes into a password box', async () => {
    await runCommand('ImageGen: Set API Key…');
    await answerQuickInput('OpenAI');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    if ((await input.getAttribute('type')) !== 'password') throw new Error('the key box is not a password box');
    await input.fill(fakeInfo.apiKey);
    await page.keyboard.press('Enter');
    await page.locator('.notifications-toasts').getByText('API key for OpenAI saved.').waitFor({ timeout: 15_000 });
  });

  await step('Image Studio: type a prompt, Ctrl+Enter, a partial image shows, then the final one is saved', async () => {
    await runCommand('ImageGen: Open Image Studio');
    await panel.getByLabel('Prompt', { exact: true }).waitFor({ timeout: 30_000 });
    await panel.getByLabel('Provider', { exact: true }).selectOption('openai');
    await panel.getByLabel('Model', { exact: true }).locator('option[value="gpt-image-1"]').waitFor({ state: 'attached', timeout: 15_000 });
    await panel.getByLabel('Prompt', { exact: true }).fill(prompt);
    await panel.getByLabel('Prompt', { exact: true }).press('Control+Enter');
    await panel.locator('.partial-image').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(shots, 'studio-partial-dark.png') });
    await panel.locator('.results .card').first().waitFor({ timeout: 30_000 });
    await waitForFile(result);
    if (pngSize(result) !== '1024x1024') throw new Error(`result is ${pngSize(result)}`);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(shots, 'studio-dark.png') });
  });

  await step('Image Studio: "Edit again", paint a mask over the image, Edit: the edited file has the same size', async () => {
    await panel.locator('.results .card').first().getByRole('button', { name: 'Edit again', exact: true }).click();
    const canvas = panel.locator('.mask-canvas');
    await canvas.waitFor({ timeout: 15_000 });
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    if (!box) throw new Error('no mask canvas on screen');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await page.mouse.down();
    for (let x = 0.3; x <= 0.7; x += 0.05) await page.mouse.move(box.x + box.width * x, box.y + box.height * 0.55, { steps: 3 });
    await page.mouse.up();
    await panel.getByText(/painted/).first().waitFor({ timeout: 5_000 });
    await panel.getByLabel('Prompt', { exact: true }).fill('add a small red sailing boat');
    await page.screenshot({ path: path.join(shots, 'studio-mask-dark.png') });
    await panel.getByRole('button', { name: 'Edit', exact: true }).click();
    const edited = path.join(generated, 'add-a-small-red-sailing-boat.png');
    await waitForFile(edited, 40_000);
    if (pngSize(edited) !== pngSize(result)) throw new Error(`edit is ${pngSize(edited)}, source ${pngSize(result)}`);
    const text = fs.readFileSync(edited).toString('latin1');
    if (!/"kind":"edit"/.test(text) || !/"mask":/.test(text)) throw new Error('the edit does not record its mask in the metadata');
  });
}
