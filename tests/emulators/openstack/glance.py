"""glance v2: version documents, the image schema and GET of one image;
custom image properties are top-level string keys, as glance keeps them."""

import copy
import hashlib

from tests.emulators.openstack.common import Reply, Route, dispatch, glance_error, iso, now
from tests.emulators.openstack.glance_schema import GLANCE_BASE_ATTRS, glance_image_schema

GLANCE_VERSIONS = ['2.17', '2.16', '2.15', '2.14', '2.13', '2.12', '2.11', '2.10',
                   '2.9', '2.8', '2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0']

# Keys glance renders itself: nobody sets them as properties.
_NOT_SETTABLE = ('id', 'self', 'file', 'schema', 'locations', 'direct_url', 'stores')


def render_image(rec):
    image = dict(rec['extra'])
    image.update(copy.deepcopy(rec['attrs']))
    iid = image['id']
    image['self'] = '/v2/images/%s' % iid
    image['file'] = '/v2/images/%s/file' % iid
    image['schema'] = '/v2/schemas/image'
    return image


class GlanceData:
    """Test helpers of the facade for glance's images."""

    def add_image(self, image_id, name='img', **properties):
        stamp = iso(now())
        image = {
            'id': image_id, 'name': name, 'disk_format': 'qcow2', 'container_format': 'bare',
            'visibility': 'public', 'size': 21430272, 'virtual_size': 117440512,
            'status': 'active', 'checksum': hashlib.md5(image_id.encode()).hexdigest(),
            'protected': False, 'min_ram': 0, 'min_disk': 0, 'owner': self.project_id,
            'os_hidden': False, 'os_hash_algo': 'sha512',
            'os_hash_value': hashlib.sha512(image_id.encode()).hexdigest(),
            'tags': [], 'created_at': stamp, 'updated_at': stamp,
        }
        extra = {}
        for key, value in properties.items():
            if key in GLANCE_BASE_ATTRS:
                image[key] = value
            elif key in _NOT_SETTABLE:
                raise ValueError('%r is not an image property glance lets you set' % key)
            elif not isinstance(value, str):
                raise TypeError('glance keeps custom properties as strings: %s=%r'
                                % (key, value))
            else:
                extra[key] = value
        with self._lock:
            self._images[image_id] = {'attrs': image, 'extra': extra, 'deleted': False}
            return render_image(self._images[image_id])

    def delete_image(self, image_id):
        with self._lock:
            rec = self._images[image_id]
            if rec['deleted']:
                raise KeyError(image_id)
            rec['deleted'] = True


class Glance:
    """The image API, under /image."""

    routes = [
        Route('/', {'GET': 'versions_300'}, slash=True, public=True),
        Route('/versions', {'GET': 'versions'}, public=True),
        Route('/v2/schemas/image', {'GET': 'schema'}),
        Route('/v2/images/{id}', {'GET': 'show_image'}),
    ]

    def __init__(self, emu):
        self.emu = emu

    @staticmethod
    def not_found(status, allowed):
        if status == 405:
            return glance_error(405, 'Method Not Allowed',
                                'The method is not allowed for this resource.')
        return glance_error(404, 'Not Found', 'The resource could not be found.')

    def handle(self, req, sub):
        if sub in ('/', '', '/versions'):
            dispatch(self, req, sub, self.not_found)
        if not sub.startswith('/v2/'):
            raise self.not_found(404, None)
        self.emu._keystone.service_token(req)
        dispatch(self, req, sub, self.not_found)

    def _versions(self):
        statuses = ['CURRENT'] + ['SUPPORTED'] * (len(GLANCE_VERSIONS) - 1)
        href = self.emu.base_url + '/image/v2/'
        return {'versions': [{'id': 'v' + v, 'status': s, 'links': [{'rel': 'self',
                                                                     'href': href}]}
                             for v, s in zip(GLANCE_VERSIONS, statuses)]}

    def versions_300(self, req):
        raise Reply(300, self._versions())

    def versions(self, req):
        raise Reply(200, self._versions())

    def schema(self, req):
        raise Reply(200, glance_image_schema())

    def show_image(self, req, image_id):
        emu = self.emu
        with emu._lock:
            rec = emu._images.get(image_id)
            if rec is None or rec['deleted']:
                raise glance_error(404, 'Not Found', 'No image found with ID %s' % image_id)
            raise Reply(200, render_image(rec))
