//! WebKitGTK settings for a window that shows one local page (the issue asks the app's processes
//! to stay under 400 MB on 100,000 documents).
//!
//! WebKit's defaults suit a browser: a memory cache of resources and a back/forward cache of whole
//! pages, kept for sites a person revisits. Folio's window loads one page from the app bundle and
//! never navigates, so both only hold copies: the `DocumentViewer` cache model turns them off
//! (WebKit's own setting for single-document viewers). Nothing else changes: rendering, the CSP
//! and the IPC are untouched.

/// Applies the settings to the window's webview (Linux, where the webview is WebKitGTK).
pub fn tune(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};
            let view = webview.inner();
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_enable_page_cache(false);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    })
}
