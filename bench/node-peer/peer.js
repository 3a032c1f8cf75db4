// The "forget these customers" script a Particle user would write with the
// official SDK (particle-api-js), as its docs show: list the product's
// devices and customers once, then for each subject, one await after
// another: clear the device's name and notes, unclaim it, delete the
// customer. bench/run.sh runs it against the fake cloud and compares the
// final state and the wall time with erasectl's.
//
// usage: PARTICLE_ACCESS_TOKEN=... node peer.js BASE_URL PRODUCT SUBJECTS
// SUBJECTS: one email per line. TLS: NODE_EXTRA_CA_CERTS=ca.pem.
// Prints one JSON line: {"subjects","calls","seconds","errors"}.
'use strict';
const fs = require('fs');
const Particle = require('particle-api-js');

async function main() {
	const [baseUrl, product, subjectsFile] = process.argv.slice(2);
	const auth = process.env.PARTICLE_ACCESS_TOKEN;
	if (!baseUrl || !product || !subjectsFile || !auth) {
		console.error('usage: PARTICLE_ACCESS_TOKEN=... node peer.js BASE_URL PRODUCT SUBJECTS');
		process.exit(2);
	}
	const particle = new Particle({ baseUrl });
	const subjects = fs.readFileSync(subjectsFile, 'utf8').split('\n')
		.map((s) => s.trim().toLowerCase()).filter((s) => s);
	const start = process.hrtime.bigint();
	let calls = 0;
	let errors = 0;

	// Device owners: the SDK's listDevices, page by page.
	const owned = new Map();
	for (let page = 1, pages = 1; page <= pages; page++) {
		const res = await particle.listDevices({ product, page, perPage: 100, auth });
		calls++;
		pages = res.body.meta.total_pages;
		for (const d of res.body.devices) {
			if (!d.owner) continue;
			const o = d.owner.toLowerCase();
			if (!owned.has(o)) owned.set(o, []);
			owned.get(o).push(d.id);
		}
	}
	// Customers: the SDK has no listCustomers, so its generic get().
	const customers = new Set();
	for (let page = 1, pages = 1; page <= pages; page++) {
		const res = await particle.get({
			uri: `/v1/products/${product}/customers`,
			query: { page, perPage: 100 }, auth,
		});
		calls++;
		pages = res.body.meta.total_pages;
		for (const c of res.body.customers) customers.add(c.username.toLowerCase());
	}

	// 404 means already gone; anything else fails the subject.
	const call = async (fn) => {
		calls++;
		try {
			await fn();
		} catch (e) {
			if (e.statusCode !== 404) throw e;
		}
	};
	for (const email of subjects) {
		try {
			for (const deviceId of owned.get(email) || []) {
				await call(() => particle.updateDevice({ deviceId, name: '', notes: '', product, auth }));
				await call(() => particle.removeDeviceOwner({ deviceId, product, auth }));
			}
			if (customers.has(email)) {
				// No deleteCustomer in the SDK either: its generic delete().
				await call(() => particle.delete({
					uri: `/v1/products/${product}/customers/${encodeURIComponent(email)}`,
					auth,
				}));
			}
		} catch (e) {
			errors++;
			console.error(`subject failed: ${e.statusCode || ''} ${e.shortErrorDescription || e.message}`);
		}
	}
	const seconds = Number(process.hrtime.bigint() - start) / 1e9;
	console.log(JSON.stringify({ subjects: subjects.length, calls, seconds, errors }));
	process.exit(errors ? 1 : 0);
}

main().catch((e) => {
	console.error(`peer failed: ${e.statusCode || ''} ${e.shortErrorDescription || e.message}`);
	process.exit(1);
});
