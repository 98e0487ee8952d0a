import Foundation
import NIOCore

/// Swagger UI's files, read once from the folder `PLADMED_SWAGGER_UI_DIR` names (PyPI `swagger-ui-py` ships
/// them; `make` copies them to `.build/swagger-ui/`), and the page at `/docs` that shows `/openapi.json` with them.
struct SwaggerUI: Sendable {
    /// The files `/docs/<name>` serves, by name, with their content type.
    static let files: [String: String] = [
        "swagger-ui.css": "text/css; charset=utf-8",
        "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
        "favicon-32x32.png": "image/png",
        "favicon-16x16.png": "image/png",
        "oauth2-redirect.html": "text/html; charset=utf-8",
    ]

    let contents: [String: ByteBuffer]

    /// Reads the files from `directory`; throws naming the first one missing.
    init(directory: String) throws {
        var contents: [String: ByteBuffer] = [:]
        for name in Self.files.keys {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("PLADMED_SWAGGER_UI_DIR: \(path) is missing (make copies Swagger UI to .build/swagger-ui)")
            }
            contents[name] = ByteBuffer(bytes: data)
        }
        self.contents = contents
    }

    /// The page at `/docs`.
    static let page = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>pladmed API</title>
        <link rel="stylesheet" href="/docs/swagger-ui.css">
        <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
        </head>
        <body>
        <div id="swagger-ui"></div>
        <script src="/docs/swagger-ui-bundle.js"></script>
        <script>
        window.ui = SwaggerUIBundle({
          url: "/openapi.json",
          dom_id: "#swagger-ui",
          deepLinking: true,
          presets: [SwaggerUIBundle.presets.apis],
          layout: "BaseLayout",
          oauth2RedirectUrl: window.location.origin + "/docs/oauth2-redirect.html"
        });
        </script>
        </body>
        </html>

        """
}
