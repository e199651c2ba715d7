/**
 * pdf.js for the document view, loaded on first use: the library and its worker are separate
 * chunks of the app (the worker a file served from the app's own origin, as the CSP wants), so a
 * window that never shows a PDF never loads them. One worker serves every PDF.
 */
import type { PDFWorker } from 'pdfjs-dist';

type PdfJs = typeof import('pdfjs-dist');

let loading: Promise<{ pdfjs: PdfJs; worker: PDFWorker }> | undefined;

export function pdfWorker(): Promise<{ pdfjs: PdfJs; worker: PDFWorker }> {
  loading ??= (async () => {
    const [pdfjs, workerUrl] = await Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.min.mjs?url')]);
    pdfjs.GlobalWorkerOptions.workerSrc = workerUrl.default;
    return { pdfjs, worker: new pdfjs.PDFWorker() };
  })();
  loading.catch(() => (loading = undefined));
  return loading;
}
