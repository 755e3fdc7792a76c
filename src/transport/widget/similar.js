// giftvec "You might also like": <giftvec-similar product-id="..." limit="6"></giftvec-similar>
//
// A dependency-free custom element served by giftvec at /widget/similar.js. It fetches nothing
// until it is scrolled into view; then it asks giftvec for products similar to `product-id`
// (GET /api/products/{id}/similar) and renders `limit` cards (image when the product has an
// `image_url` attribute, title, price). Clicking a card records a `click` event for `user-id`
// (POST /api/events, when a user id is given) before following the link.
//
// Attributes: product-id (required), limit (1-24, default 6), user-id, api-base (default: the
// origin this script was loaded from), link-template (default "/products/{id}"), widget-key
// (giftvec's GIFTVEC_WIDGET_KEY, a public key that opens only these two routes; sent as a
// bearer token). The shop's origin must be in giftvec's GIFTVEC_WIDGET_ORIGINS (CORS).
// Clicks recorded with the widget key are anonymous: giftvec files them under
// "anonymous:<user-id>", apart from the users its agents serve.
(() => {
  const scriptOrigin = (() => {
    try {
      return new URL(document.currentScript.src).origin;
    } catch (_) {
      return "";
    }
  })();

  const STYLE = `
    :host { display: block; font: 14px/1.4 system-ui, sans-serif; }
    h3 { font-size: 16px; margin: 0 0 8px; }
    .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; }
    a.card { display: block; border: 1px solid #dde; border-radius: 8px; padding: 8px;
             color: inherit; text-decoration: none; }
    a.card:hover { border-color: #889; }
    img { width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: 4px; }
    .title { margin: 6px 0 2px; }
    .price { font-weight: 600; }
    .error { color: #a11; }`;

  function money(price, currency) {
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(price);
    } catch (_) {
      return `${price} ${currency}`;
    }
  }

  class GiftvecSimilar extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      const root = this.attachShadow({ mode: "open" });
      root.innerHTML = `<style>${STYLE}</style><h3>You might also like</h3><div class="cards"></div>`;
      this.dataset.state = "idle";
      this.observer = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          this.observer.disconnect();
          this.load();
        }
      });
      this.observer.observe(this);
    }

    disconnectedCallback() {
      if (this.observer) this.observer.disconnect();
    }

    headers(extra) {
      const key = this.getAttribute("widget-key");
      return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
    }

    get apiBase() {
      return (this.getAttribute("api-base") || scriptOrigin).replace(/\/$/, "");
    }

    async load() {
      const id = this.getAttribute("product-id");
      const limit = Math.min(24, Math.max(1, parseInt(this.getAttribute("limit") || "6", 10) || 6));
      const cards = this.shadowRoot.querySelector(".cards");
      if (!id) {
        cards.innerHTML = `<p class="error">product-id is missing</p>`;
        this.dataset.state = "error";
        return;
      }
      this.dataset.state = "loading";
      try {
        const url = `${this.apiBase}/api/products/${encodeURIComponent(id)}/similar?limit=${limit}&in_stock=true`;
        const response = await fetch(url, { headers: this.headers({ accept: "application/json" }) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = await response.json();
        this.render(cards, body.results || []);
        this.dataset.state = "loaded";
      } catch (err) {
        cards.textContent = "";
        this.dataset.state = "error";
        this.dispatchEvent(new CustomEvent("giftvec-error", { detail: String(err) }));
      }
    }

    render(cards, products) {
      const template = this.getAttribute("link-template") || "/products/{id}";
      cards.textContent = "";
      for (const p of products) {
        const a = document.createElement("a");
        a.className = "card";
        a.href = template.replace("{id}", encodeURIComponent(p.id));
        a.dataset.productId = p.id;
        const image = p.attributes && p.attributes.image_url;
        if (typeof image === "string" && /^https?:\/\//.test(image)) {
          const img = document.createElement("img");
          img.src = image;
          img.alt = "";
          img.loading = "lazy";
          a.append(img);
        }
        const title = document.createElement("div");
        title.className = "title";
        title.textContent = p.title;
        const price = document.createElement("div");
        price.className = "price";
        price.textContent = money(p.price, p.currency);
        a.append(title, price);
        a.addEventListener("click", (event) => this.clicked(event, p.id, a.href));
        cards.append(a);
      }
    }

    clicked(event, productId, href) {
      const user = this.getAttribute("user-id");
      if (!user) return;
      event.preventDefault();
      const body = JSON.stringify({ user_id: user, product_id: productId, kind: "click" });
      const sent = fetch(`${this.apiBase}/api/events`, {
        method: "POST",
        headers: this.headers({ "content-type": "application/json" }),
        body,
        keepalive: true,
      }).catch(() => {});
      this.dispatchEvent(new CustomEvent("giftvec-click", { detail: { productId } }));
      // Follow the link once the event is on its way (or after 300 ms at most).
      Promise.race([sent, new Promise((r) => setTimeout(r, 300))]).then(() => {
        if (!this.hasAttribute("no-navigate")) window.location.assign(href);
      });
    }
  }

  if (!customElements.get("giftvec-similar")) {
    customElements.define("giftvec-similar", GiftvecSimilar);
  }
})();
