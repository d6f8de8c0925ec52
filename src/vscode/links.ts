import * as vscode from 'vscode';

export type LinkFlavour = 'markdown' | 'html' | 'jsx';

const FLAVOURS: Record<string, LinkFlavour> = {
  markdown: 'markdown',
  mdx: 'markdown',
  html: 'html',
  vue: 'html',
  svelte: 'html',
  php: 'html',
  javascriptreact: 'jsx',
  typescriptreact: 'jsx',
};

/** How an image is linked in a document of this language, or undefined where there is no image syntax. */
export function linkFlavour(languageId: string): LinkFlavour | undefined {
  return FLAVOURS[languageId];
}

/** `../assets/generated/x.png` from the document's folder, URL-encoded per segment. */
export function relativeLink(from: vscode.Uri, to: vscode.Uri): string {
  const fromParts = from.path.split('/').slice(0, -1);
  const toParts = to.path.split('/');
  let common = 0;
  while (common < fromParts.length && common < toParts.length - 1 && fromParts[common] === toParts[common]) common++;
  const path = [...fromParts.slice(common).map(() => '..'), ...toParts.slice(common)];
  const joined = path.map(encodeURIComponent).join('/');
  return joined.startsWith('..') ? joined : `./${joined}`;
}

/** Inserts a link to `image` at `position`: Markdown image syntax, or an <img> tag for HTML and JSX. */
export async function insertImageLink(editor: vscode.TextEditor, position: vscode.Position, image: vscode.Uri, alt: string, flavour: LinkFlavour, onNewParagraph = false): Promise<boolean> {
  const source = relativeLink(editor.document.uri, image);
  const text = alt.replace(/\s+/g, ' ').trim().slice(0, 120);
  const attribute = text.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  const link =
    flavour === 'markdown'
      ? `![${text.replace(/[[\]]/g, '')}](${source})`
      : flavour === 'html'
        ? `<img src="${source}" alt="${attribute}">`
        : `<img src="${source}" alt="${attribute}" />`;
  const wrapped = onNewParagraph ? (flavour === 'markdown' ? `\n\n${link}\n` : `\n${link}`) : link;
  return editor.edit((builder) => builder.insert(position, wrapped));
}
