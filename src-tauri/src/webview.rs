//! WebKitGTK settings for a window that shows one local page (the issue asks the app's processes
//! to stay under 400 MB on 100,000 documents).
//!
//! * Caches: WebKit's defaults suit a browser — a memory cache of resources and a back/forward
//!   cache of whole pages, kept for sites a person revisits. Folio's window loads one page from
//!   the app bundle and never navigates, so both only hold copies: the `DocumentViewer` cache
//!   model turns them off (WebKit's own setting for single-document viewers).
//! * Compositing without a GPU: WebKit composites the page with OpenGL. On a machine with no GPU
//!   (no DRM render node, or Mesa told to render in software) that GL is Mesa's llvmpipe, which
//!   loads LLVM into the web process and keeps its buffers in ordinary memory: measured under
//!   Xvfb on 100,000 documents, the web process held ~380 MiB with compositing and ~230 MiB
//!   without, and painted faster without. So without a GPU the window does not ask for
//!   hardware acceleration; with one, WebKit's default stays. `FOLIO_KEEP_COMPOSITING=1` keeps
//!   it anyway: the real-window e2e test sets it, because WebKitWebDriver's screenshots hang
//!   without compositing (WebKitGTK 2.50 under Xvfb; see tests/e2e/wdio.conf.ts).
//!
//! Nothing else changes: the CSP, the IPC and what the page shows are untouched.

use std::path::Path;

/// Applies the settings to the window's webview (Linux, where the webview is WebKitGTK).
pub fn tune(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    let keep_compositing = std::env::var_os("FOLIO_KEEP_COMPOSITING").is_some_and(|v| v == "1");
    let software_gl = !keep_compositing
        && software_gl(
            std::env::var_os("LIBGL_ALWAYS_SOFTWARE").as_deref(),
            Path::new("/dev/dri"),
        );
    window.with_webview(move |webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{
                CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
            };
            let view = webview.inner();
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_enable_page_cache(false);
                if software_gl {
                    settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (webview, software_gl);
    })
}

/// True when OpenGL would be software-rendered: Mesa is told so (`LIBGL_ALWAYS_SOFTWARE` set and
/// not "0"), or there is no GPU render node (`/dev/dri/renderD*`).
fn software_gl(libgl_always_software: Option<&std::ffi::OsStr>, dri: &Path) -> bool {
    if libgl_always_software.is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    let has_render_node = std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    });
    !has_render_node
}

#[cfg(test)]
mod tests {
    use super::software_gl;
    use std::ffi::OsStr;

    #[test]
    fn software_gl_when_mesa_is_told_so_or_there_is_no_render_node() {
        let dir = std::env::temp_dir().join(format!("folio-dri-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // No /dev/dri at all, or one without a render node: no GPU.
        assert!(software_gl(None, &dir));
        std::fs::create_dir_all(dir.join("by-path")).unwrap();
        std::fs::write(dir.join("card0"), b"").unwrap();
        assert!(software_gl(None, &dir));
        // A render node: a GPU, unless Mesa is told to render in software.
        std::fs::write(dir.join("renderD128"), b"").unwrap();
        assert!(!software_gl(None, &dir));
        assert!(!software_gl(Some(OsStr::new("0")), &dir));
        assert!(software_gl(Some(OsStr::new("1")), &dir));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
