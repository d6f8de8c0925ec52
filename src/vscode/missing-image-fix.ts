/**
 * Quick fixes for images a document refers to that do not exist yet: `<img src="hero.png">`, `![](hero.png)`,
 * `url(hero.png)`. "Generate placeholder" renders one offline at the size the tag asks for; "Generate image"
 * uses the configured provider with the alt text as prompt. No core code loads until a fix is chosen.
 */
import * as vscode from 'vscode';

export const CREATE_IMAGE_COMMAND = 'imagegen.createImageAt';

export interface CreateImageArguments {
  target: vscode.Uri;
  prompt: string;
  width?: number;
  height?: number;
  placeholder: boolean;
}

const REFERENCES = [
  /<img\b[^>]*?\bsrc\s*=\s*["']([^"'#?]+\.(?:png|jpe?g|webp))["'][^>]*>?/gi,
  /!\[([^\]]*)\]\(\s*<?([^)\s>#?]+\.(?:png|jpe?g|webp))>?(?:\s+"[^"]*")?\s*\)/gi,
  /url\(\s*["']?([^"')#?]+\.(?:png|jpe?g|webp))["']?\s*\)/gi,
];

interface Found {
  path: string;
  alt: string;
  width?: number;
  height?: number;
  range: vscode.Range;
}

function attribute(tag: string, name: string): string | undefined {
  const quoted = new RegExp(`\\b${name}\\s*=\\s*\\{?\\s*(["'])(.*?)\\1`, 'i').exec(tag);
  return quoted ? quoted[2] : new RegExp(`\\b${name}\\s*=\\s*\\{?\\s*([^"'\\s}>]+)`, 'i').exec(tag)?.[1];
}

/** The image references on a line, with what the markup says about size and meaning. */
export function findImageReferences(line: string, lineNumber: number): Found[] {
  const found: Found[] = [];
  for (const [index, pattern] of REFERENCES.entries()) {
    for (const match of line.matchAll(pattern)) {
      const whole = match[0];
      const path = index === 1 ? match[2]! : match[1]!;
      if (/^(https?:|data:|\/\/)/i.test(path)) continue;
      const alt = index === 1 ? match[1]! : (attribute(whole, 'alt') ?? '');
      const width = Number(attribute(whole, 'width'));
      const height = Number(attribute(whole, 'height'));
      found.push({
        path,
        alt: alt.trim(),
        ...(width > 0 && width <= 4096 ? { width } : {}),
        ...(height > 0 && height <= 4096 ? { height } : {}),
        range: new vscode.Range(lineNumber, match.index!, lineNumber, match.index! + whole.length),
      });
    }
  }
  return found;
}

export class MissingImageFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  async provideCodeActions(document: vscode.TextDocument, range: vscode.Range): Promise<vscode.CodeAction[]> {
    const actions: vscode.CodeAction[] = [];
    for (let line = range.start.line; line <= range.end.line && line < document.lineCount; line++) {
      for (const reference of findImageReferences(document.lineAt(line).text, line)) {
        if (!reference.range.intersection(range) && !reference.range.contains(range.start)) continue;
        const decoded = decodeURIComponent(reference.path);
        const folder = vscode.workspace.getWorkspaceFolder(document.uri);
        const target = decoded.startsWith('/') && folder ? vscode.Uri.joinPath(folder.uri, decoded) : vscode.Uri.joinPath(document.uri, '..', decoded);
        try {
          await vscode.workspace.fs.stat(target);
          continue;
        } catch {
          // Missing: offer to make it.
        }
        const name = decoded.split('/').pop()!;
        const prompt = reference.alt || name.replace(/\.[^.]+$/, '').replace(/[-_]+/g, ' ');
        const size = reference.width && reference.height ? ` ${reference.width}x${reference.height}` : '';
        const placeholder = new vscode.CodeAction(vscode.l10n.t('Generate placeholder {0}{1}', name, size), vscode.CodeActionKind.QuickFix);
        placeholder.command = { title: placeholder.title, command: CREATE_IMAGE_COMMAND, arguments: [{ target, prompt, width: reference.width, height: reference.height, placeholder: true } satisfies CreateImageArguments] };
        placeholder.isPreferred = true;
        const generated = new vscode.CodeAction(vscode.l10n.t('Generate image {0} from "{1}"', name, prompt), vscode.CodeActionKind.QuickFix);
        generated.command = { title: generated.title, command: CREATE_IMAGE_COMMAND, arguments: [{ target, prompt, width: reference.width, height: reference.height, placeholder: false } satisfies CreateImageArguments] };
        actions.push(placeholder, generated);
      }
    }
    return actions;
  }
}
