// The page checks itself once loaded: every chart drew (an inline <svg> with a size on
// the page and something drawn in it) and every image loaded (a natural width). It writes
// the count on <body data-charts-ok="N/M"> and names the failures in data-charts-broken, for
// a person's developer tools and for CI, which renders the page in a headless browser and
// reads them back (.ci/browser-check.sh).
addEventListener("load", function () {
  var broken = [], total = 0;
  document.querySelectorAll("figure svg").forEach(function (svg, i) {
    total += 1;
    var box = svg.getBoundingClientRect();
    if (!(box.width > 0 && box.height > 0 && svg.querySelector("path, polyline, polygon, rect, line, circle"))) {
      broken.push("chart " + (i + 1));
    }
  });
  Array.prototype.forEach.call(document.images, function (img) {
    total += 1;
    if (!(img.complete && img.naturalWidth > 0)) broken.push(img.getAttribute("src"));
  });
  document.body.setAttribute("data-charts-ok", (total - broken.length) + "/" + total);
  document.body.setAttribute("data-charts-broken", broken.join(" "));
});
