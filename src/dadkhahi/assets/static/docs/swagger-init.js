// Starts Swagger UI on /docs without inline script (the Content-Security-Policy
// forbids it): the schema's URL travels in a data attribute of the page.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
});
