// Components sync to every member's device, and clients write them through
// push: a technician edits a site's component tree offline.
import { defineSyncedTable } from '../../sync/synced-table.js';
import { componentDefaults } from './schema.js';
import { componentColumns, createComponent, deleteComponent, restoreComponent, updateComponent } from './service.js';

export const componentsSync = defineSyncedTable({
  table: 'components',
  // Not itself, though parent_id names a component: a purge removes an organisation's components together.
  refersTo: ['organisations', 'sites'],
  writes: {
    entity: 'component',
    columns: componentColumns,
    labelColumn: 'name',
    // createComponent fills these in; locus_id 0 is "not assigned yet" until the server's row arrives.
    defaults: {
      application: componentDefaults.application,
      generation_type: componentDefaults.generationType,
      is_conceptual_node: componentDefaults.isConceptualNode,
      locus_id: 0,
    },
    create: (ctx, id, organisationId, fields) => createComponent(ctx, { ...fields, id, organisationId }),
    update: (ctx, id, fields) => updateComponent(ctx, id, fields),
    remove: (ctx, id) => deleteComponent(ctx, id),
    // deleteComponent moves the removed component's children up to the site.
    onRemove: { table: 'components', column: 'parent_id' },
    restore: (ctx, id) => restoreComponent(ctx, id),
  },
});
