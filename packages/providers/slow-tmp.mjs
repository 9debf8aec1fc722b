import { request } from "undici";
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Return exactly: hi" }] });
const end = Date.now() + 10000; let n = 0;
while (Date.now() < end) {
  const r = await request(process.argv[2], { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer sk-switchyard-dev" }, body });
  await r.body.text(); n++;
  await new Promise((res) => setTimeout(res, Number(process.argv[3])));
}
console.log("requests", n, "rps", n / 10);
